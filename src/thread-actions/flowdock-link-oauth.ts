// A second passport-oauth2 strategy for linking accounts: scope `profile` only,
// with PKCE (S256) and a `state` bound to this browser's session (hash kept,
// single use, expires with the link claim), as the setup's. Flowdock
// applications have one callback URI, so this strategy shares the setup's
// callback; the state tells the two apart.
import type { Request } from "express";
import type passport from "passport";
import { randomToken, sha256 } from "../crypto/random.ts";
import { flowdockOAuthStrategy, type OAuthSettings } from "../setup/flowdock-oauth.ts";

export const FLOWDOCK_LINK_STRATEGY = "flowdock-link";
export const FLOWDOCK_LINK_SCOPES = ["profile"];

/** A link in progress: whose Flowdock id the claim named, until when, and the state sent. */
export interface PendingLink {
  flowdockUserId: string;
  expiresAt: number;
  stateHash?: string;
  /** PKCE: sent with the token request; worthless without the code, which is never stored. */
  codeVerifier?: string;
}

declare module "express-session" {
  interface SessionData {
    flowdockLink?: PendingLink;
  }
}

export function useFlowdockLinkStrategy(auth: passport.PassportStatic, settings: OAuthSettings): void {
  // The token is used once, to read who authorized, and never stored.
  auth.use(FLOWDOCK_LINK_STRATEGY, flowdockOAuthStrategy(settings, linkStateStore));
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

// With `pkce: true` passport-oauth2 hands store() the code verifier it made and
// expects verify() to give it back (as `ok`) for the token request.
const linkStateStore = {
  store(req: Request, codeVerifier: string, _appState: unknown, _meta: unknown, cb: (err: unknown, state?: string) => void) {
    const link = pendingLink(req);
    if (!link) return cb(new Error("no link in progress"));
    const state = randomToken();
    req.session.flowdockLink = { ...link, stateHash: sha256(state), codeVerifier };
    cb(null, state);
  },
  verify(req: Request, state: unknown, _meta: unknown, cb: (err: unknown, ok: string | false, info?: unknown) => void) {
    const codeVerifier = isLinkState(req, state) ? pendingLink(req)?.codeVerifier : undefined;
    if (req.session.flowdockLink) req.session.flowdockLink = { flowdockUserId: req.session.flowdockLink.flowdockUserId, expiresAt: req.session.flowdockLink.expiresAt };
    if (!codeVerifier) return cb(null, false, { message: "state" });
    cb(null, codeVerifier);
  },
};
