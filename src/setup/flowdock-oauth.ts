// OAuth 2.0 with Flowdock through passport-oauth2. The `state` we send is bound
// to this browser (it lives in the session) and to the setup it belongs to (its
// hash sits on that pending setup); it is single-use and expires with the setup.
import type http from "node:http";
import type { Request } from "express";
import type passport from "passport";
import { Strategy as OAuth2Strategy, type StateStore } from "passport-oauth2";
import { randomToken, sha256 } from "../crypto/random.ts";
import { findPendingSetup, updatePendingSetup, type PendingSetup } from "./pending-setups.ts";

export const FLOWDOCK_STRATEGY = "flowdock";
export const FLOWDOCK_SCOPES = ["profile", "integration"];

export interface FlowdockAuthorization {
  accessToken: string;
}

export interface OAuthSettings {
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  timeoutMs?: number;
}

export function useFlowdockStrategy(auth: passport.PassportStatic, settings: OAuthSettings): void {
  // Only the access token matters: it creates the source and is then dropped.
  auth.use(FLOWDOCK_STRATEGY, flowdockOAuthStrategy(settings, setupStateStore));
}

/**
 * A passport-oauth2 strategy for Flowdock's authorization server, as every use
 * of it here needs: PKCE (S256), so a code that leaks before we redeem it is
 * useless without the verifier, a `state` kept by `store`, no profile request,
 * and a deadline on the token request. The verified "user" is just the access token.
 */
export function flowdockOAuthStrategy(settings: OAuthSettings, store: unknown): OAuth2Strategy {
  const strategy = new OAuth2Strategy(
    {
      authorizationURL: `${settings.oauthUrl}/oauth/authorize`,
      tokenURL: `${settings.oauthUrl}/oauth/token`,
      clientID: settings.clientId,
      clientSecret: settings.clientSecret,
      callbackURL: settings.callbackUrl,
      store: store as StateStore,
      pkce: true,
      state: true,
      skipUserProfile: true,
    },
    (accessToken: string, _refreshToken: string, _profile: unknown, done: (err: unknown, user?: FlowdockAuthorization) => void) => {
      done(null, { accessToken });
    },
  );
  limitTokenRequestTime(strategy, settings.timeoutMs ?? 10_000);
  return strategy;
}

// passport-oauth2's HTTP layer (the `oauth` package) waits for ever on a
// Flowdock that accepts the connection but never answers, leaving the person on
// a spinning page. Its one request function is wrapped so each token request
// gets a deadline and fails like any other network error.
function limitTokenRequestTime(strategy: OAuth2Strategy, timeoutMs: number): void {
  type Lib = { request(options: unknown): http.ClientRequest };
  const oauth2 = (strategy as unknown as { _oauth2: { _executeRequest: (lib: Lib, ...rest: unknown[]) => void } })._oauth2;
  const execute = oauth2._executeRequest.bind(oauth2);
  oauth2._executeRequest = (lib, ...rest) => execute({
    request(options) {
      const req = lib.request(options);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`Flowdock's token endpoint did not answer within ${timeoutMs} ms`)));
      return req;
    },
  }, ...rest);
}

/**
 * The state for a setup's authorize redirect, and the setup a returning state
 * belongs to. With `pkce: true` passport-oauth2 calls store() with the code
 * verifier it made (5 arguments) and expects verify() to hand it back as `ok`
 * (a string), which it then sends with the token request.
 */
const setupStateStore = {
  store(req: Request, codeVerifier: string, appState: { setupId: string }, _meta: unknown, cb: (err: unknown, state?: string) => void) {
    const state = randomToken();
    // Only the state's hash is kept; the verifier must be sent as is, and is
    // worthless without the code, which is never stored.
    updatePendingSetup(req, appState.setupId, { stateHash: sha256(state), codeVerifier });
    cb(null, state);
  },
  verify(req: Request, state: unknown, _meta: unknown, cb: (err: unknown, ok: string | false, info?: unknown) => void) {
    const setupId = setupIdForState(req, state);
    const codeVerifier = setupId ? findPendingSetup(req, setupId)?.codeVerifier : undefined;
    consumeState(req, state);
    if (!setupId || !codeVerifier) return cb(null, false, { message: "state" });
    cb(null, codeVerifier, { setupId });
  },
};

/** Finds the pending setup a state was issued for and makes the state unusable again. */
export function consumeState(req: Request, state: unknown): string | undefined {
  const setupId = setupIdForState(req, state);
  if (setupId) updatePendingSetup(req, setupId, { stateHash: undefined, codeVerifier: undefined });
  return setupId;
}

/** The pending setup a state was issued for, leaving the state usable. */
export function peekStateSetup(req: Request, state: unknown): PendingSetup | undefined {
  const setupId = setupIdForState(req, state);
  return setupId ? findPendingSetup(req, setupId) : undefined;
}

function setupIdForState(req: Request, state: unknown): string | undefined {
  if (typeof state !== "string" || !state) return undefined;
  const hash = sha256(state);
  const entry = Object.entries(req.session.flowdockSetups ?? {}).find(([, s]) => s.stateHash === hash);
  return entry && findPendingSetup(req, entry[0]) ? entry[0] : undefined;
}
