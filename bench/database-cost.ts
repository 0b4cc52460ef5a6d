// What the database does per delivered event, with no worker and no HTTP in
// the way: the worker's statements (acknowledge, promote, claim) run in a loop
// on a fanned-out SQLite backlog, each timed, and the WAL pages written per
// event counted (checkpoints off, so the WAL holds every page each commit
// wrote). This is the measurement behind the outbox's indexes: a drain's cost
// per event stays flat only while an acknowledgement writes the same number of
// pages whatever the backlog's size and shape (see outbox-sql.ts). `withIndex`
// adds an index first, to show what one would cost.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { outboxRepository } from "../src/activity-forwarding/outbox.repository.ts";
import { outboxSql } from "../src/activity-forwarding/outbox-sql.ts";
import { addHistory, openBenchDb, recordEvents } from "./bench-db.ts";
import { shapeOf, type Shape } from "./drain.ts";

// Rows acknowledged and claimed per trip: about what the worker with
// concurrency 8 does with a few threads (a trip per few posts), and what it
// does with many, once its ready rows let acknowledgements gather.
export const FEW_PER_TRIP = 4;
export const MANY_PER_TRIP = 8;
const WAL_FRAME = 4096 + 24;

export interface DatabaseCost {
  events: number;
  perSecond: number;
  /** Microseconds per delivered event in each kind of statement. */
  us: { acknowledge: number; promote: number; claim: number; commit: number };
  walPagesPerEvent: number;
}

export async function databaseCost(dir: string, shape: Shape, events: number, history: number, perTrip: number, withIndex?: string): Promise<DatabaseCost> {
  const name = `cost-${process.hrtime.bigint()}`;
  const bench = await openBenchDb("sqlite", dir, name, "http://127.0.0.1:9");
  // Nothing is posted: the target only has to be a valid address.
  const keepAlive = setInterval(() => {}, 1_000); // the driver's promises don't hold the loop on their own
  try {
    await addHistory(bench, history, 10);
    await recordEvents(bench, shapeOf(shape, events));
    const outbox = outboxRepository(bench.db, "sqlite");
    while ((await outbox.fanOut()) > 0);
    if (withIndex) await bench.db.$executeRawUnsafe(withIndex);
    await bench.db.$disconnect();

    const file = path.join(dir, `${name}.db`);
    const db = new Database(file);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.pragma("wal_autocheckpoint = 0");
    const sql = outboxSql("sqlite");
    const prepared = new Map<string, Database.Statement>();
    const statement = (text: string) => {
      let st = prepared.get(text);
      if (!st) prepared.set(text, (st = db.prepare(text).safeIntegers(false)));
      return st;
    };
    const t = { acknowledge: 0, promote: 0, claim: 0, commit: 0 };
    let sent: number[] = [];
    let delivered = 0;
    const started = performance.now();
    for (;;) {
      let at = performance.now();
      const lap = (k: keyof typeof t) => { const now = performance.now(); t[k] += now - at; at = now; };
      db.prepare("BEGIN").run();
      const now = sql.ts(new Date());
      if (sent.length > 0) {
        statement(sql.acknowledge(sent.length)).run(now, ...sent, "bench");
        lap("acknowledge");
        statement(sql.promote(sent.length)).run(now, now, ...sent);
        lap("promote");
      }
      const claim = sql.claim("bench", sql.ts(new Date(Date.now() + 60_000)), now, perTrip);
      const rows = statement(claim.sql).all(...claim.params) as { id: number }[];
      lap("claim");
      db.prepare("COMMIT").run();
      lap("commit");
      delivered += sent.length;
      sent = rows.map((r) => r.id);
      if (sent.length === 0) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const walPages = Math.max(0, (fs.statSync(`${file}-wal`).size - 32) / WAL_FRAME);
    db.close();
    const us = (ms: number) => (ms * 1000) / delivered;
    return {
      events: delivered, perSecond: delivered / seconds, walPagesPerEvent: walPages / delivered,
      us: { acknowledge: us(t.acknowledge), promote: us(t.promote), claim: us(t.claim), commit: us(t.commit) },
    };
  } finally {
    clearInterval(keepAlive);
  }
}
