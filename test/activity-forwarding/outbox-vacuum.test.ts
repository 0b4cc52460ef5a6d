// On PostgreSQL every claim, acknowledgement and promotion leaves a dead row
// version behind; with autovacuum off (as on these machines) nothing removes
// them and claims slow down as they pile up. The worker vacuums the outbox's
// tables itself once enough of their rows are dead.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";
import { migrateDatabase } from "../../src/db/migrator.ts";
import { createDatabase, type Database } from "../../src/db/prisma-client.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { until } from "../support/tracker.ts";

const hasPostgres = await postgresAvailable();

describe.skipIf(!hasPostgres)("vacuuming the outbox on PostgreSQL", () => {
  let db: Database | undefined;
  let drop: (() => Promise<void>) | undefined;
  let url: string;

  beforeAll(async () => {
    ({ url, drop } = await createScratchDatabase());
    await migrateDatabase(url);
  });
  afterEach(async () => {
    await db?.$disconnect();
    await drop?.();
  });

  const deadRows = async (table: string) => {
    await db!.$executeRawUnsafe("SELECT pg_stat_force_next_flush()");
    const rows = await db!.$queryRawUnsafe<{ dead: bigint }[]>(`SELECT n_dead_tup AS dead FROM pg_stat_user_tables WHERE relname = '${table}'`);
    return Number(rows[0]?.dead ?? 0);
  };

  it("when the outbox's rows were rewritten thousands of times, the next check vacuums it, and the one after finds nothing to do", async () => {
    db = createDatabase(url);
    const outbox = outboxRepository(db, "postgresql");
    await db.outboxEvent.createMany({ data: Array.from({ length: 3_000 }, () => ({ projectId: "p", threadKey: "t", kind: "issue.opened", payload: "{}" })) });
    expect(await outbox.vacuumIfNeeded()).toEqual([]);
    // As fan-out does: each event marked, one row version left dead each time.
    await db.outboxEvent.updateMany({ data: { fannedOut: true } });
    await db.outboxEvent.updateMany({ data: { fannedOut: false } });
    // Each connection reports its counts within a second or so.
    await until(async () => (await deadRows("OutboxEvent")) > 1_000, 15_000, "the dead rows to be counted");

    expect(await outbox.vacuumIfNeeded()).toEqual(["OutboxEvent"]);
    expect(await deadRows("OutboxEvent")).toBe(0);
    expect(await outbox.vacuumIfNeeded()).toEqual([]);
    expect(await db.outboxEvent.count()).toBe(3_000);
  });
});
