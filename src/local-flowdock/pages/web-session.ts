// Sign-in sessions for the local Flowdock's own pages, kept in its SQLite file
// so that people stay signed in across a restart, as on the hosted service.
import session from "express-session";
import { csrfSync } from "csrf-sync";
import type { RequestHandler, Request } from "express";
import type { SqliteDatabase } from "../store/database.ts";

declare module "express-session" {
  interface SessionData {
    flowdockUserId?: number;
  }
}

export class SqliteSessionStore extends session.Store {
  constructor(private readonly db: SqliteDatabase) {
    super();
  }
  override get(sid: string, cb: (err: unknown, data?: session.SessionData | null) => void): void {
    const row = this.db.prepare<[string, number], { data: string }>("SELECT data FROM web_sessions WHERE sid = ? AND expires_at > ?").get(sid, Date.now());
    cb(null, row ? JSON.parse(row.data) : null);
  }
  override set(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    this.db.prepare("INSERT INTO web_sessions (sid, data, expires_at) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at")
      .run(sid, JSON.stringify(data), expiryOf(data));
    cb?.();
  }
  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.db.prepare("DELETE FROM web_sessions WHERE sid = ?").run(sid);
    cb?.();
  }
  // Only the expiry moves: this request's copy of the data may be older than
  // what a request running beside it has saved meanwhile.
  override touch(sid: string, data: session.SessionData, cb?: () => void): void {
    this.db.prepare("UPDATE web_sessions SET expires_at = ? WHERE sid = ?").run(expiryOf(data), sid);
    cb?.();
  }
}

function expiryOf(data: session.SessionData): number {
  return data.cookie.expires ? new Date(data.cookie.expires).getTime() : Date.now() + 86_400_000;
}

export function webSession(db: SqliteDatabase, secret: string, secureCookies: boolean): RequestHandler {
  db.prepare("DELETE FROM web_sessions WHERE expires_at <= ?").run(Date.now());
  return session({
    name: "flowdock.sid",
    secret,
    store: new SqliteSessionStore(db),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax", secure: secureCookies, maxAge: 7 * 86_400_000 },
  });
}

export const csrf = csrfSync({
  getTokenFromRequest: (req: Request) => (req.body as Record<string, string> | undefined)?._csrf,
});

/** Sign in: a fresh session id, so a planted one can't be used (session fixation). */
export function signIn(req: Request, userId: number): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err);
      req.session.flowdockUserId = userId;
      req.session.save((saveErr) => (saveErr ? reject(saveErr) : resolve()));
    });
  });
}

export function signOut(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}
