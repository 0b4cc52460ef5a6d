// Our own sign-in sessions: express-session with its store in our database
// (never the MemoryStore, so sessions survive restarts and work across
// instances), cookies HttpOnly + SameSite=Lax, Secure when served over HTTPS.
// A session row exists only for someone with something to keep: a signed-in
// person, or a visitor on their way to sign in (where to come back to).
import session from "express-session";
import { DatabaseSessionStore } from "./session-store.ts";
import { csrfSync } from "csrf-sync";
import type { Request, RequestHandler } from "express";
import type { Database } from "../db/prisma-client.ts";

export const SESSION_COOKIE = "tracker.sid";

declare module "express-session" {
  interface SessionData {
    /** When this browser signed in (ms): the session ends an absolute lifetime later. */
    signedInAt?: number;
    passport?: { user?: string };
  }
}

export interface SessionSettings {
  secret: string;
  secure: boolean;
  /** A session unused this long expires (the cookie's rolling max age). */
  idleMs: number;
  /** A sign-in never lasts longer than this, however active. */
  absoluteMs: number;
}

export function createSessionMiddleware(db: Database, options: SessionSettings): RequestHandler[] {
  // No pruning timer here: main.ts runs pruneExpiredSessions, so tests hold no timers.
  const store = new DatabaseSessionStore(db);
  return [session({
    name: SESSION_COOKIE,
    secret: options.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: "lax", secure: options.secure, maxAge: options.idleMs },
  }), saveBeforeRedirect, absoluteLifetime(options.absoluteMs)];
}

// express-session saves a changed session at the end of the response, but it
// sends the headers first and holds back only the body's last byte until the
// save is done. A browser follows a redirect as soon as it has the headers, so
// the next page could load the session as it was before: seen in the setup
// flow, where the OAuth callback stores the token and redirects to the
// confirmation screen, which then said the setup was not found (PostgreSQL
// under load, where the save takes longer than the browser's next request).
// So a redirect that changed the session waits for the save. Whether it
// changed is judged as express-session does (its data without the cookie).
const withoutCookie = (session: object | undefined) => JSON.stringify(session, (key, value: unknown) => (key === "cookie" ? undefined : value));

const saveBeforeRedirect: RequestHandler = (req, res, next) => {
  const loaded = withoutCookie(req.session);
  const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
  res.end = ((...args: unknown[]) => {
    const redirect = res.statusCode >= 300 && res.statusCode < 400 && res.hasHeader("location");
    const now = req.session ? withoutCookie(req.session) : loaded;
    // Unchanged, or nothing to keep (e.g. just signed out): express-session decides as usual.
    if (!redirect || now === loaded || now === "{}") return end(...args);
    req.session!.save((err) => {
      // A failed save is logged and the response still ends: the next page
      // then shows the old state, as it would have without this wait.
      if (err) req.log?.error({ err }, "the session could not be saved before a redirect");
      end(...args);
    });
    return res;
  }) as typeof res.end;
  next();
};

// The first request that finds someone signed in starts the clock; once it has
// run out the session is replaced by an empty one, so they are signed out.
function absoluteLifetime(absoluteMs: number): RequestHandler {
  return (req, _res, next) => {
    if (!req.session?.passport?.user) return next();
    const signedInAt = req.session.signedInAt;
    if (signedInAt === undefined) {
      req.session.signedInAt = Date.now();
      return next();
    }
    if (Date.now() - signedInAt < absoluteMs) return next();
    req.session.regenerate((err) => next(err));
  };
}

export async function pruneExpiredSessions(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.session.deleteMany({ where: { expiresAt: { lt: now } } });
  return count;
}

// Synchronizer tokens; every form carries one as `_csrf`. A signed-in person's
// lives in their session. An anonymous visitor's (the sign-in and sign-up
// forms) lives in an HttpOnly SameSite cookie of its own, so that viewing a
// form writes no session row; another site can neither read nor set it
// (the __Host- prefix keeps subdomains out when served over HTTPS).
const ANONYMOUS_TOKEN = Symbol("anonymous csrf token");
type WithToken = Request & { [ANONYMOUS_TOKEN]?: string };

const anonymousCookie = (req: Request) => (req.secure ? "__Host-tracker.csrf" : "tracker.csrf");

function anonymousToken(req: WithToken): string | undefined {
  if (req[ANONYMOUS_TOKEN]) return req[ANONYMOUS_TOKEN];
  const name = `${anonymousCookie(req)}=`;
  const found = req.headers.cookie?.split(";").map((c) => c.trim()).find((c) => c.startsWith(name))?.slice(name.length);
  return found && /^[0-9a-f]{64,256}$/.test(found) ? found : undefined;
}

export const csrf = csrfSync({
  getTokenFromRequest: (req: Request) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
  getTokenFromState: (req) => (req.user ? req.session.csrfToken : anonymousToken(req)),
  storeTokenInState: (req, token) => {
    if (req.user) {
      req.session.csrfToken = token;
      return;
    }
    if (!token) return;
    (req as WithToken)[ANONYMOUS_TOKEN] = token;
    req.res?.cookie(anonymousCookie(req), token, { httpOnly: true, sameSite: "lax", secure: req.secure, path: "/" });
  },
});
