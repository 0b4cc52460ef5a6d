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

// A browser can only come back to a page it can GET, and a Location header
// holding a very long address is refused by clients (Node's limit is 16 KB):
// anything else comes back to the inbox list.
const MAX_RETURN_TO = 2048;

export const requireUser: RequestHandler = (req, res, next) => {
  if (res.locals.user) return next();
  const back = req.method === "GET" && req.originalUrl.length <= MAX_RETURN_TO ? req.originalUrl : "/app";
  res.redirect(`/login?return_to=${encodeURIComponent(back)}`);
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
