// Our own sign-in sessions: express-session with its store in our database
// (never the MemoryStore, so sessions survive restarts and work across
// instances), cookies HttpOnly + SameSite=Lax, Secure when served over HTTPS.
import session from "express-session";
import { DatabaseSessionStore } from "./session-store.ts";
import { csrfSync } from "csrf-sync";
import type { Request, RequestHandler } from "express";
import type { Database } from "../db/prisma-client.ts";

export const SESSION_COOKIE = "tracker.sid";
const WEEK_MS = 7 * 86_400_000;

export function createSessionMiddleware(db: Database, options: { secret: string; secure: boolean }): RequestHandler {
  // No pruning timer here: main.ts runs pruneExpiredSessions, so tests hold no timers.
  const store = new DatabaseSessionStore(db);
  return session({
    name: SESSION_COOKIE,
    secret: options.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: "lax", secure: options.secure, maxAge: WEEK_MS },
  });
}

export async function pruneExpiredSessions(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.session.deleteMany({ where: { expiresAt: { lt: now } } });
  return count;
}

// Synchronizer tokens kept in the session; every form carries one as `_csrf`.
export const csrf = csrfSync({
  getTokenFromRequest: (req: Request) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
});
