// The claim must read each thread's head and nothing else: not the thread's
// delivered history, not the rows queued behind its head. Otherwise a busy
// thread drains in quadratic time (issue 12). Asserted on the query plan each
// database chooses, with no statistics gathered and after ANALYZE, and on
// PostgreSQL on the rows the plan actually read.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";
import { outboxRepository, type OutboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { outboxSql } from "../../src/activity-forwarding/outbox-sql.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";
import type { Activity } from "../../src/activity-forwarding/activity.ts";
import type { DatabaseKind } from "../../src/db/database-url.ts";

const BULK_HISTORY = 20_000; // delivered rows of the hot thread, as a busy week leaves them
const HISTORY = 40; // and more, delivered through claim and acknowledge
const HOT_TAIL = 60; // queued behind the hot thread's head (fewer than the quiet threads' events)
const QUIET_THREADS = 8;
const QUIET_TAIL = 10;
const HEADS = 1 + QUIET_THREADS;

let app: TestApp | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const c of cleanups.splice(0)) c();
});

/** One hot thread with a delivered history and a queued tail, and quiet threads with tails of their own. */
async function busyOutbox(testApp: TestApp, kind: DatabaseKind): Promise<OutboxRepository> {
  const { db } = testApp;
  const project = await db.project.findFirstOrThrow({ where: { name: "Website" } });
  const user = await db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
  await integrationsRepository(db, createTokenCipher(testApp.config.tokenEncryptionKeys)).create({
    projectId: project.id, sourceId: 1, sourceName: "S", sourceUrl: "http://f/s/1", flowId: "f", flowUrl: "http://f/flows/a/b", flowWebUrl: "http://f/app/a/b",
    organizationName: "A", flowName: "B", createdByUserId: user.id, flowToken: "t",
  });
  const outbox = outboxRepository(db, kind);
  const activity = (threadKey: string): Activity => ({
    projectId: project.id, kind: "issue.commented", threadKey, event: "discussion", body: "<p>hi</p>", author: { name: "Dana" },
    thread: { title: "t", body: "", external_url: "http://app.test/i", status: { color: "green", value: "open" }, fields: [] },
  });
  const record = (threadKey: string, count: number) => db.$transaction(async (tx) => {
    for (let i = 0; i < count; i++) await outbox.recorder.record(tx, activity(threadKey));
  });
  const fanOutAll = async () => { while ((await outbox.fanOut()) > 0); };

  // The history in bulk: events and their delivered messages, as the worker leaves them (dueAt NULL).
  const series = kind === "postgresql" ? `generate_series(1, ${BULK_HISTORY})` : `(WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ${BULK_HISTORY}) SELECT k FROM n)`;
  const p = (n: number) => (kind === "postgresql" ? `$${n}` : "?");
  await db.$executeRawUnsafe(`INSERT INTO "OutboxEvent" ("projectId", "threadKey", "kind", "payload", "fannedOut") SELECT ${p(1)}, 'issue:hot', 'issue.commented', '{}', true FROM ${series} AS s`, project.id);
  const integration = await db.integration.findFirstOrThrow();
  await db.$executeRawUnsafe(`INSERT INTO "OutboxMessage" ("eventId", "integrationId", "threadKey", "uuid", "status", "sentAt") SELECT "id", ${p(1)}, "threadKey", 'history-' || "id", 'sent', "createdAt" FROM "OutboxEvent"`, integration.id);
  await record("issue:hot", HISTORY);
  await fanOutAll();
  for (let i = 0; i < HISTORY; i++) {
    const [row] = await outbox.claim("history", 1, 60_000);
    await outbox.acknowledge([row!.id], "history");
  }
  // The hot thread's tail interleaved with the quiet threads' events, which also come last.
  for (let i = 0; i < QUIET_THREADS * QUIET_TAIL; i++) {
    if (i < HOT_TAIL) await record("issue:hot", 1);
    await record(`issue:quiet-${i % QUIET_THREADS}`, 1);
  }
  await fanOutAll();
  expect(await db.outboxMessage.count({ where: { status: "sent" } })).toBe(BULK_HISTORY + HISTORY);
  expect(await db.outboxMessage.count({ where: { status: "pending" } })).toBe(HOT_TAIL + QUIET_THREADS * QUIET_TAIL);
  return outbox;
}

/** Parks one quiet thread's head as failed, as the worker does after the last attempt. */
async function failOneQuietHead(outbox: OutboxRepository): Promise<void> {
  const claimed = await outbox.claim("w", 100, 60_000, new Date(Date.now() + 1000));
  const quiet = claimed.find((m) => m.threadKey.startsWith("issue:quiet-"))!;
  await outbox.markDead(quiet.id, "w", { attempts: 5, error: "Flowdock answered 500" });
  // The other claimed heads go back to being due.
  for (const m of claimed) if (m.id !== quiet.id) await outbox.retryLater(m.id, "w", { availableAt: new Date(), attempts: 0, error: "" });
}

describe("the claim's query plan on SQLite", () => {
  it("when a thread has a long delivered history and a queued tail, the claim searches the heads' index range only, with or without statistics", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claim-plan-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    app = await startTestApp("http://127.0.0.1:9", { DATABASE_URL: `file:${path.join(dir, "app.db")}` });
    const outbox = await busyOutbox(app, "sqlite");
    const sql = outboxSql("sqlite");
    const now = sql.ts(new Date(Date.now() + 1000));
    const plan = () => {
      const file = new Sqlite(app!.dbFile!, { readonly: true });
      try {
        const st = sql.claim("w", now, now, 100);
        return (file.prepare(`EXPLAIN QUERY PLAN ${st.sql}`).all(...st.params) as { detail: string }[]).map((r) => r.detail);
      } finally {
        file.close();
      }
    };
    const expectHeadsOnly = (details: string[]) => {
      expect(details.filter((d) => /^SEARCH o USING (COVERING )?INDEX OutboxMessage_dueAt_idx \(dueAt<\?\)$/.test(d))).toHaveLength(1);
      // No full scan of the outbox, and no sort of what was read.
      expect(details.filter((d) => /^SCAN (o|OutboxMessage)\b/.test(d))).toEqual([]);
      expect(details.filter((d) => /TEMP B-TREE/.test(d))).toEqual([]);
    };

    // Acknowledging a head and promoting the next row seeks the thread's index.
    const promotePlan = () => {
      const file = new Sqlite(app!.dbFile!, { readonly: true });
      try {
        return (file.prepare(`EXPLAIN QUERY PLAN ${sql.promote(1)}`).all(now, now, 1) as { detail: string }[]).map((r) => r.detail);
      } finally {
        file.close();
      }
    };
    const expectSeeks = (details: string[]) => {
      expect(details).toContainEqual(expect.stringMatching(/^SEARCH n USING COVERING INDEX OutboxMessage_integrationId_threadKey_id_idx \(integrationId=\? AND threadKey=\? AND id>\?\)$/));
      expect(details.filter((d) => /^SCAN /.test(d))).toEqual([]);
    };

    expectHeadsOnly(plan());
    expectSeeks(promotePlan());
    await app.db.$executeRawUnsafe("ANALYZE");
    expectHeadsOnly(plan());
    expectSeeks(promotePlan());

    // The index range holds the heads and nothing else.
    expect(await app.db.outboxMessage.count({ where: { dueAt: { not: null } } })).toBe(HEADS);
    const claimed = await outbox.claim("w", 100, 60_000, new Date(Date.now() + 1000));
    expect(claimed).toHaveLength(HEADS);
  });

  it("when a thread has a long delivered history, the counts of waiting and failed rows read the marked rows and what waits behind them, never the history", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "counts-plan-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    app = await startTestApp("http://127.0.0.1:9", { DATABASE_URL: `file:${path.join(dir, "app.db")}` });
    const outbox = await busyOutbox(app, "sqlite");
    const integration = await app.db.integration.findFirstOrThrow();
    await failOneQuietHead(outbox);
    const sql = outboxSql("sqlite");
    const plan = (forIntegration: boolean) => {
      const file = new Sqlite(app!.dbFile!, { readonly: true });
      try {
        return (file.prepare(`EXPLAIN QUERY PLAN ${sql.counts(forIntegration)}`).all(...(forIntegration ? [integration.id] : [])) as { detail: string }[]).map((r) => r.detail);
      } finally {
        file.close();
      }
    };
    const expectMarkedRowsOnly = (details: string[]) => {
      expect(details.filter((d) => /^SEARCH m USING (COVERING )?INDEX OutboxMessage_dueAt_idx \(dueAt>\? AND dueAt<\?\)$/.test(d))).toHaveLength(1);
      expect(details.filter((d) => /^SEARCH n USING (COVERING )?INDEX OutboxMessage_integrationId_threadKey_id_idx \(integrationId=\? AND threadKey=\? AND id>\?\)$/.test(d))).toHaveLength(2);
      expect(details.filter((d) => /^SCAN /.test(d))).toEqual([]);
    };
    const expectCounts = async () => {
      const counts = { pending: HOT_TAIL + QUIET_THREADS * QUIET_TAIL - 1, sent: BULK_HISTORY + HISTORY, dead: 1 };
      expect(await outbox.countByStatus(integration.id)).toEqual(counts);
      expect(await outbox.countByStatus()).toEqual(counts);
    };
    for (const forIntegration of [true, false]) expectMarkedRowsOnly(plan(forIntegration));
    await expectCounts();
    await app.db.$executeRawUnsafe("ANALYZE");
    for (const forIntegration of [true, false]) expectMarkedRowsOnly(plan(forIntegration));
    await expectCounts();
    // Held back (Flowdock refused the token): still waiting, and no longer offered.
    await outbox.holdIntegration(integration.id, "Flowdock refused the token");
    await expectCounts();
    expect(await outbox.claim("w", 100, 60_000, new Date(Date.now() + 1000))).toEqual([]);
  });
});

const pgUp = await postgresAvailable();

describe.skipIf(!pgUp)("the claim's query plan on PostgreSQL", () => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => { for (const drop of drops) await drop(); });

  interface PlanNode { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; "Actual Rows"?: number; "Actual Loops"?: number; "Rows Removed by Filter"?: number; Plans?: PlanNode[] }
  const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

  /** The busy outbox in a scratch database, as a server with autovacuum off leaves it, and a client of the test's own. */
  async function busyPostgres(prefix: string): Promise<{ client: pg.Client; outbox: OutboxRepository }> {
    const scratch = await createScratchDatabase(prefix);
    drops.push(scratch.drop);
    app = await startTestApp("http://127.0.0.1:9", { DATABASE_URL: scratch.url });
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    cleanups.push(() => void client.end());
    // As on a server with autovacuum off: nothing ever gathers statistics for these tables.
    for (const table of ["OutboxMessage", "OutboxEvent", "Integration"]) await client.query(`ALTER TABLE "${table}" SET (autovacuum_enabled = false)`);
    return { client, outbox: await busyOutbox(app, "postgresql") };
  }

  it("when a thread has a long delivered history and a queued tail and no statistics were ever gathered, the claim reads the heads off their index and no other row (and still after ANALYZE)", { timeout: 120_000 }, async () => {
    const { client } = await busyPostgres("claim_plan");
    const stats = await client.query(`SELECT count(*)::int AS n FROM pg_stats WHERE tablename IN ('OutboxMessage', 'OutboxEvent')`);
    expect(stats.rows[0].n).toBe(0);

    const sql = outboxSql("postgresql");
    const now = sql.ts(new Date(Date.now() + 1000));
    const plan = async () => {
      await client.query("BEGIN");
      try {
        const claim = sql.claim("w", now, now, 100);
        const res = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${claim!.sql}`, claim!.params);
        return nodes((res.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
      } finally {
        await client.query("ROLLBACK");
      }
    };
    const expectHeadsOnly = (plan: PlanNode[]) => {
      const outbox = plan.filter((n) => n["Relation Name"] === "OutboxMessage");
      expect(outbox.map((n) => n["Node Type"])).not.toContain("Seq Scan");
      expect(plan.map((n) => n["Node Type"])).not.toContain("Sort");
      const heads = outbox.find((n) => n["Index Name"] === "OutboxMessage_dueAt_idx");
      expect(heads, JSON.stringify(plan.map((n) => [n["Node Type"], n["Relation Name"], n["Index Name"]]))).toBeDefined();
      // It read exactly the due heads: no delivered row, no queued tail, none filtered away.
      expect(heads!["Actual Rows"]).toBe(HEADS);
      expect(heads!["Rows Removed by Filter"] ?? 0).toBe(0);
      const readFromOutbox = plan.filter((n) => n["Relation Name"] === "OutboxMessage" || n["Index Name"]?.startsWith("OutboxMessage_"));
      for (const n of readFromOutbox) expect((n["Actual Rows"] ?? 0) * (n["Actual Loops"] ?? 1)).toBeLessThanOrEqual(HEADS);
    };
    // Acknowledging the hot thread's head and promoting the next row seeks the thread's index.
    const promote = async () => {
      const hot = await app!.db.outboxMessage.findFirstOrThrow({ where: { threadKey: "issue:hot", dueAt: { not: null } } });
      await client.query("BEGIN");
      try {
        const res = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql.promote(1)}`, [now, hot.id]);
        return nodes((res.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
      } finally {
        await client.query("ROLLBACK");
      }
    };
    const expectSeeks = (plan: PlanNode[]) => {
      expect(plan.filter((n) => n["Relation Name"] === "OutboxMessage").map((n) => n["Node Type"])).not.toContain("Seq Scan");
      expect(plan.map((n) => n["Index Name"])).toContain("OutboxMessage_integrationId_threadKey_id_idx");
      for (const n of plan.filter((n) => n["Index Name"]?.startsWith("OutboxMessage_"))) expect((n["Actual Rows"] ?? 0) * (n["Actual Loops"] ?? 1)).toBeLessThanOrEqual(2);
    };

    // Fanning out a new event of the hot thread looks up the thread's last row only.
    const lastRow = async () => {
      const integration = await app!.db.integration.findFirstOrThrow();
      await client.query("BEGIN");
      try {
        const res = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql.lastRows(1)}`, [integration.id, "issue:hot"]);
        return nodes((res.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
      } finally {
        await client.query("ROLLBACK");
      }
    };

    for (const when of ["no statistics", "after ANALYZE"]) {
      if (when === "after ANALYZE") await client.query("ANALYZE");
      expectHeadsOnly(await plan());
      expectSeeks(await promote());
      expectSeeks(await lastRow());
    }
  });

  it("when a thread has a long delivered history and no statistics were ever gathered, the counts of waiting and failed rows read no delivered row (and still after ANALYZE)", { timeout: 120_000 }, async () => {
    const { client, outbox } = await busyPostgres("counts_plan");
    await failOneQuietHead(outbox);
    const integration = await app!.db.integration.findFirstOrThrow();
    const undelivered = HOT_TAIL + QUIET_THREADS * QUIET_TAIL;
    const sql = outboxSql("postgresql");
    const expectNoHistoryRead = async (forIntegration: boolean) => {
      const res = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql.counts(forIntegration)}`, forIntegration ? [integration.id] : []);
      const plan = nodes((res.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
      const outboxNodes = plan.filter((n) => n["Relation Name"] === "OutboxMessage" || n["Index Name"]?.startsWith("OutboxMessage_"));
      expect(outboxNodes.map((n) => n["Node Type"])).not.toContain("Seq Scan");
      // What waits, and the older versions of those rows that claims and
      // retries left in the indexes (nothing vacuums here): at most twice
      // the undelivered rows, where the history alone is 20,040.
      for (const n of outboxNodes) expect((n["Actual Rows"] ?? 0) * (n["Actual Loops"] ?? 1) + (n["Rows Removed by Filter"] ?? 0), JSON.stringify(n)).toBeLessThanOrEqual(2 * undelivered);
    };
    for (const when of ["no statistics", "after ANALYZE"]) {
      if (when === "after ANALYZE") await client.query("ANALYZE");
      await expectNoHistoryRead(true);
      await expectNoHistoryRead(false);
      expect(await outbox.countByStatus(integration.id)).toEqual({ pending: undelivered - 1, sent: BULK_HISTORY + HISTORY, dead: 1 });
    }
  });
});
