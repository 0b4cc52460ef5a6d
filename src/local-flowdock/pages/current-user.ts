// Who is signed in to the local Flowdock's pages, and a guard for pages that
// need someone: it sends the browser to sign in and back afterwards.
import type { RequestHandler, Request } from "express";
import type { Store } from "../store/store.ts";
import type { UserRow } from "../store/directory.repository.ts";
import { csrf } from "./web-session.ts";

export function loadCurrentUser(store: Store): RequestHandler {
  return (req, res, next) => {
    const id = req.session.flowdockUserId;
    const user = id ? store.directory.userById(id) : undefined;
    res.locals.user = user ?? null;
    res.locals.csrfToken = csrf.generateToken(req);
    next();
  };
}

export const requireUser: RequestHandler = (req, res, next) => {
  if (res.locals.user) return next();
  res.redirect(`/login?return_to=${encodeURIComponent(req.originalUrl)}`);
};

export function currentUser(res: { locals: Record<string, unknown> }): UserRow {
  return res.locals.user as UserRow;
}

/** Only same-site paths, so a crafted link can't bounce people elsewhere. */
export function safeReturnTo(value: unknown, fallback = "/app"): string {
  return typeof value === "string" && /^\/(?![/\\])/.test(value) ? value : fallback;
}

export function isSignedIn(req: Request): boolean {
  return Boolean(req.session.flowdockUserId);
}
