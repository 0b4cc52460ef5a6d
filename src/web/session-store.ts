// express-session's store in our own database, through Prisma. Written here
// rather than taken from @quixo3/prisma-session-store, which reconnects and
// reads before every write and quietly disables itself after one failed
// connection (signing everybody out); this one lets errors reach express-session
// and writes the expiry back at most once a minute per session.
import session from "express-session";
import type { Database } from "../db/prisma-client.ts";

const TOUCH_EVERY_MS = 60_000;
const DEFAULT_TTL_MS = 86_400_000;

type Callback<T = void> = (err?: unknown, value?: T) => void;

export class DatabaseSessionStore extends session.Store {
  constructor(private readonly db: Database) {
    super();
  }

  override get(sid: string, cb: Callback<session.SessionData | null>): void {
    this.db.session.findUnique({ where: { sid } }).then((row) => {
      if (!row || row.expiresAt.getTime() <= Date.now()) return cb(undefined, null);
      cb(undefined, JSON.parse(row.data) as session.SessionData);
    }, cb);
  }

  override set(sid: string, data: session.SessionData, cb?: Callback): void {
    const expiresAt = expiryOf(data);
    const json = JSON.stringify(data);
    this.db.session.upsert({ where: { sid }, create: { id: sid, sid, data: json, expiresAt }, update: { data: json, expiresAt } })
      .then(() => cb?.(), (err: unknown) => cb?.(err));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.db.session.deleteMany({ where: { sid } }).then(() => cb?.(), (err: unknown) => cb?.(err));
  }

  // Called on every request that didn't change the session: only the expiry
  // moves, so it is written back only when it has moved far enough to matter.
  override touch(sid: string, data: session.SessionData, cb?: () => void): void {
    const expiresAt = expiryOf(data);
    const lastWritten = (data as { lastTouched?: number }).lastTouched ?? 0;
    if (Date.now() - lastWritten < TOUCH_EVERY_MS) return cb?.();
    const json = JSON.stringify({ ...data, lastTouched: Date.now() });
    this.db.session.updateMany({ where: { sid }, data: { expiresAt, data: json } }).then(() => cb?.(), () => cb?.());
  }
}

function expiryOf(data: session.SessionData): Date {
  return data.cookie?.expires ? new Date(data.cookie.expires) : new Date(Date.now() + DEFAULT_TTL_MS);
}
