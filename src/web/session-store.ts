// express-session's store in our own database. Written here
// rather than taken from @quixo3/prisma-session-store, which reconnects and
// reads before every write and quietly disables itself after one failed
// connection (signing everybody out); this one lets errors reach express-session
// and moves a session's expiry at most once a minute.
import session from "express-session";
import { directSql, type Database } from "../db/prisma-client.ts";
import { sqlDialect, type DirectSql } from "../db/direct-sql.ts";

const TOUCH_EVERY_MS = 60_000;
const DEFAULT_TTL_MS = 86_400_000;
const REMEMBERED_TOUCHES = 10_000;

type Callback<T = void> = (err?: unknown, value?: T) => void;

// Every page reads its session, and most that change something save it: the
// statements go straight to the driver (see direct-sql.ts), where through
// Prisma each cost 0.6–0.8 ms of CPU, a twentieth of a page's (16 ms).
const statements = (kind: DirectSql["kind"]) => {
  const { param: p, timestamp, stamp } = sqlDialect(kind);
  return {
    timestamp,
    get: `SELECT "data" FROM "Session" WHERE "sid" = ${p(1)} AND "expiresAt" > ${p(2)}${stamp}`,
    set: `INSERT INTO "Session" ("id", "sid", "data", "expiresAt") VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}${stamp})
      ON CONFLICT ("sid") DO UPDATE SET "data" = excluded."data", "expiresAt" = excluded."expiresAt"`,
    destroy: `DELETE FROM "Session" WHERE "sid" = ${p(1)}`,
    touch: `UPDATE "Session" SET "expiresAt" = ${p(1)}${stamp} WHERE "sid" = ${p(2)}`,
  };
};

export class DatabaseSessionStore extends session.Store {
  private texts?: ReturnType<typeof statements>;

  constructor(private readonly db: Database) {
    super();
  }

  // Runs one statement; connects on first use, so a database that is down at
  // boot fails the request that needs it, not the app's start.
  private async run(pick: (s: ReturnType<typeof statements>) => { sql: string; params: unknown[] }) {
    const sql = await directSql(this.db);
    return sql.run(pick((this.texts ??= statements(sql.kind))));
  }

  override get(sid: string, cb: Callback<session.SessionData | null>): void {
    this.run((s) => ({ sql: s.get, params: [sid, s.timestamp(new Date())] })).then(({ rows }) => {
      const data = rows[0]?.data;
      cb(undefined, typeof data === "string" ? (JSON.parse(data) as session.SessionData) : null);
    }, cb);
  }

  override set(sid: string, data: session.SessionData, cb?: Callback): void {
    const expiresAt = expiryOf(data);
    const json = JSON.stringify(data);
    this.run((s) => ({ sql: s.set, params: [sid, sid, json, s.timestamp(expiresAt)] }))
      .then(() => cb?.(), (err: unknown) => cb?.(err));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.run((s) => ({ sql: s.destroy, params: [sid] })).then(() => cb?.(), (err: unknown) => cb?.(err));
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
    this.run((s) => ({ sql: s.touch, params: [s.timestamp(expiryOf(data)), sid] })).then(() => cb?.(), () => cb?.());
  }
}

function expiryOf(data: session.SessionData): Date {
  return data.cookie?.expires ? new Date(data.cookie.expires) : new Date(Date.now() + DEFAULT_TTL_MS);
}
