// What an acknowledgement writes must not depend on how the backlog is laid
// out. It changes a row's status, sentAt, lease and dueAt; an index over any of
// those but dueAt moves the row's entry from one place of that index to
// another, and with threads queued one after another (each in a run of ids of
// its own) every thread in flight then dirties a page of its own there: the
// 40k "one after another" drain ran at 0.69–0.76× the 2k rate with a status
// index, 1.04–1.10× without (issue 12; `npm run bench`, drain). dueAt is the
// exception on purpose, and that index holds only rows with a dueAt: a sent
// row's entry leaves it. With a plain index it entered the NULL range at the
// row's own id, a leaf per thread in flight once the backlog passed ~10k rows
// (3.2 against 2.0 WAL pages an event; README, "Benchmarks").
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrator.ts";
import { outboxSql } from "../../src/activity-forwarding/outbox-sql.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";

/** The columns the acknowledgement's UPDATE sets, read from its SQL. */
function acknowledged(kind: "sqlite" | "postgresql"): string[] {
  const set = /SET (.*?) WHERE/s.exec(outboxSql(kind).acknowledge(1))![1]!;
  return [...set.matchAll(/"(\w+)" =/g)].map((m) => m[1]!).sort();
}

const ALLOWED = ["dueAt"];
const pgUp = await postgresAvailable();

describe("what an acknowledgement writes", () => {
  it("when a row is acknowledged on SQLite, the only index entry it touches is its dueAt's, which leaves the index (only rows with a dueAt are in it)", async () => {
    expect(acknowledged("sqlite")).toEqual(["dueAt", "lastError", "leaseOwner", "sentAt", "status"]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ack-writes-"));
    try {
      const file = path.join(dir, "app.db");
      await migrateDatabase(`file:${file}`);
      const db = new Sqlite(file, { readonly: true });
      const indexes = (db.pragma(`index_list("OutboxMessage")`) as { name: string; partial: number }[]).map((i) => ({
        name: i.name, partial: i.partial, columns: (db.pragma(`index_info("${i.name}")`) as { name: string }[]).map((c) => c.name),
      }));
      const dueIndex = (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'OutboxMessage_dueAt_idx'`).get() as { sql: string }).sql;
      db.close();
      expect(indexes.find((i) => i.name === "OutboxMessage_dueAt_idx")?.partial).toBe(1);
      expect(dueIndex).toMatch(/WHERE "dueAt" IS NOT NULL$/);
      expect(indexes.length).toBeGreaterThan(3);
      const moved = indexes.filter((i) => i.columns.some((c) => acknowledged("sqlite").includes(c) && !ALLOWED.includes(c)));
      expect(moved).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => { for (const drop of drops) await drop(); });

  it.skipIf(!pgUp)("when a row is acknowledged on PostgreSQL, no index covers a column it changes but dueAt, whose index holds only rows with a dueAt", async () => {
    expect(acknowledged("postgresql")).toEqual(["dueAt", "lastError", "leaseOwner", "sentAt", "status"]);
    const scratch = await createScratchDatabase("ack_writes");
    drops.push(scratch.drop);
    await migrateDatabase(scratch.url);
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; columns: string[] }>(`
        SELECT i.relname AS name, array_agg(a.attname::text ORDER BY a.attnum) AS columns
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)
        WHERE t.relname = 'OutboxMessage' GROUP BY i.relname`);
      expect(rows.length).toBeGreaterThan(3);
      const { rows: [due] } = await client.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'OutboxMessage_dueAt_idx'`);
      expect(due?.indexdef).toMatch(/WHERE \("dueAt" IS NOT NULL\)$/);
      const moved = rows.filter((i) => i.columns.some((c) => acknowledged("postgresql").includes(c) && !ALLOWED.includes(c)));
      expect(moved).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
