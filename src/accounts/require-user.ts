// Guards pages that need a signed-in user. A browser is sent to sign in and
// brought back afterwards; an API client gets a 401.
import type { Request, RequestHandler } from "express";
import { AppError } from "../errors.ts";
import { wantsJson } from "../web/error-handlers.ts";

declare module "express-session" {
  interface SessionData {
    returnTo?: string;
  }
}

export const requireUser: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  if (req.method !== "GET" || wantsJson(req)) return next(new AppError("UNAUTHENTICATED", "Please sign in first."));
  // An address carrying OAuth credentials (Flowdock's callback) is never kept:
  // it can't be resumed after signing in anyway, and codes must not rest in a session.
  // A very long address is not kept either: no page of ours needs one, and
  // clients refuse a Location header past 16 KB.
  if (!/[?&](code|state|access_token)=/.test(req.originalUrl) && req.originalUrl.length <= 2048) req.session.returnTo = req.originalUrl;
  res.redirect(303, "/sign-in");
};

/** Where to go after signing in: only a path on our own site, never another host. */
export function takeReturnTo(req: Request): string {
  const target = req.session.returnTo;
  delete req.session.returnTo;
  return target && /^\/(?![/\\])/.test(target) ? target : "/projects";
}

export function currentUser(req: Request): Express.User {
  if (!req.user) throw new AppError("UNAUTHENTICATED", "Please sign in first.");
  return req.user;
}
