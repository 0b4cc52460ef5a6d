// express-session's store in our own database, through Prisma. Written here
// rather than taken from @quixo3/prisma-session-store, which reconnects and
// reads before every write and quietly disables itself after one failed
// connection (signing everybody out); this one lets errors reach express-session
// and moves a session's expiry at most once a minute.
import session from "express-session";
import type { Database } from "../db/prisma-client.ts";

const TOUCH_EVERY_MS = 60_000;
const DEFAULT_TTL_MS = 86_400_000;
const REMEMBERED_TOUCHES = 10_000;

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

  // When this process last moved each session's expiry: a bounded map, oldest
  // first, so a busy instance remembers its recent visitors and no more.
  private readonly touched = new Map<string, number>();

  // Called on every request that didn't change the session. Only the expiry is
  // written, never the data: this request's copy may be older than what a
  // request running beside it has just saved. At most once a minute per
  // session and process, so most requests write nothing.
  override touch(sid: string, data: session.SessionData, cb?: () => void): void {
    const now = Date.now();
    if (now - (this.touched.get(sid) ?? 0) < TOUCH_EVERY_MS) return cb?.();
    this.touched.delete(sid);
    this.touched.set(sid, now);
    if (this.touched.size > REMEMBERED_TOUCHES) this.touched.delete(this.touched.keys().next().value!);
    this.db.session.updateMany({ where: { sid }, data: { expiresAt: expiryOf(data) } }).then(() => cb?.(), () => cb?.());
  }
}

function expiryOf(data: session.SessionData): Date {
  return data.cookie?.expires ? new Date(data.cookie.expires) : new Date(Date.now() + DEFAULT_TTL_MS);
}
