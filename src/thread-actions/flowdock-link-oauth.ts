// A second passport-oauth2 strategy for linking accounts: scope `profile` only,
// its `state` bound to this browser's session (hash kept, single use, expires
// with the link claim). Flowdock applications have one callback URI, so this
// strategy shares the setup's callback; the state tells the two apart.
import type { Request } from "express";
import type passport from "passport";
import { Strategy as OAuth2Strategy, type StateStore } from "passport-oauth2";
import { randomToken, sha256 } from "../crypto/random.ts";
import type { OAuthSettings } from "../setup/flowdock-oauth.ts";

export const FLOWDOCK_LINK_STRATEGY = "flowdock-link";
export const FLOWDOCK_LINK_SCOPES = ["profile"];

/** A link in progress: whose Flowdock id the claim named, until when, and the state sent. */
export interface PendingLink {
  flowdockUserId: string;
  expiresAt: number;
  stateHash?: string;
}

declare module "express-session" {
  interface SessionData {
    flowdockLink?: PendingLink;
  }
}

export function useFlowdockLinkStrategy(auth: passport.PassportStatic, settings: OAuthSettings): void {
  const strategy = new OAuth2Strategy(
    {
      authorizationURL: `${settings.oauthUrl}/oauth/authorize`,
      tokenURL: `${settings.oauthUrl}/oauth/token`,
      clientID: settings.clientId,
      clientSecret: settings.clientSecret,
      callbackURL: settings.callbackUrl,
      store: linkStateStore as unknown as StateStore,
      skipUserProfile: true,
    },
    // The token is used once, to read who authorized, and never stored.
    (accessToken: string, _refreshToken: string, _profile: unknown, done: (err: unknown, user?: { accessToken: string }) => void) => {
      done(null, { accessToken });
    },
  );
  auth.use(FLOWDOCK_LINK_STRATEGY, strategy);
}

/** The pending link, if it has not expired. */
export function pendingLink(req: Request, now = Date.now()): PendingLink | undefined {
  const link = req.session.flowdockLink;
  return link && link.expiresAt > now ? link : undefined;
}

/** Whether a callback's `state` is the one this browser's link sent (without using it up). */
export function isLinkState(req: Request, state: unknown): boolean {
  const link = pendingLink(req);
  return typeof state === "string" && state !== "" && link?.stateHash !== undefined && link.stateHash === sha256(state);
}

const linkStateStore = {
  store(req: Request, _meta: unknown, cb: (err: unknown, state?: string) => void) {
    const link = pendingLink(req);
    if (!link) return cb(new Error("no link in progress"));
    const state = randomToken();
    req.session.flowdockLink = { ...link, stateHash: sha256(state) };
    cb(null, state);
  },
  verify(req: Request, state: unknown, _meta: unknown, cb: (err: unknown, ok: boolean, info?: unknown) => void) {
    const ok = isLinkState(req, state);
    if (req.session.flowdockLink) delete req.session.flowdockLink.stateHash;
    cb(null, ok, ok ? undefined : { message: "state" });
  },
};
