// The numbers operators watch that live in the database: how much waits in the
// outbox and for how long, what was parked as failed, which integrations are
// suspended or broken. Read at scrape time, so every instance reports the same
// current values whatever it has done itself.
import type { Database } from "../db/prisma-client.ts";
import type { DatabaseKind } from "../db/database-url.ts";
import { outboxRepository } from "../activity-forwarding/outbox.repository.ts";
import { HELD_MARK, outboxSql } from "../activity-forwarding/outbox-sql.ts";

export interface OperationsSnapshot {
  outboxPending: number;
  /** Seconds since the oldest undelivered row was queued (0 when none). */
  oldestPendingAgeSeconds: number;
  /** Seconds the oldest deliverable row has been due and not sent (0 when none). */
  oldestDueAgeSeconds: number;
  deadRows: number;
  suspendedIntegrations: number;
  brokenIntegrations: number;
}

type Row = { events: number | bigint; oldestEvent: Date | string | null; oldestDue: Date | string | null; suspended: number | bigint; broken: number | bigint };

// Undelivered and failed rows come from the outbox's own counts (see
// `counts` in activity-forwarding/outbox-sql.ts): they cost what waits, not
// the week of delivered rows kept. Events not fanned out yet count as queued
// and due (one per event, whatever the integrations).
// "Due" leaves out rows nobody can send yet: those of a broken integration and
// those waiting behind a failed row of their thread (a person must retry that
// one first); a backlog of due rows therefore means the workers are behind.
// The outbox marks exactly the sendable rows: a thread's head carries a
// "dueAt" in reach of now (see activity-forwarding/outbox-sql.ts).
// Suspension follows activity-forwarding/recipients.ts: the project is archived,
// or whoever connected the integration is deleted, disabled or no longer a member.
const SNAPSHOT = `
SELECT
  (SELECT COUNT(*) FROM "OutboxEvent" WHERE "fannedOut" = false) AS "events",
  (SELECT MIN("createdAt") FROM "OutboxEvent" WHERE "fannedOut" = false) AS "oldestEvent",
  (SELECT MIN(t) FROM (SELECT MIN(o."availableAt") AS t FROM "OutboxMessage" o
       JOIN "Integration" i ON i."id" = o."integrationId" AND i."status" = 'active'
       WHERE o."dueAt" < :held AND o."status" = 'pending' AND o."availableAt" <= :now
     UNION ALL SELECT MIN("createdAt") FROM "OutboxEvent" WHERE "fannedOut" = false) q) AS "oldestDue",
  (SELECT COUNT(*) FROM "Integration" i JOIN "Project" p ON p."id" = i."projectId"
     LEFT JOIN "User" u ON u."id" = i."createdByUserId"
     WHERE i."status" = 'active' AND (p."archivedAt" IS NOT NULL OR u."id" IS NULL OR u."deletedAt" IS NOT NULL OR u."disabledAt" IS NOT NULL
       OR NOT EXISTS (SELECT 1 FROM "Membership" m WHERE m."projectId" = i."projectId" AND m."userId" = i."createdByUserId"))) AS "suspended",
  (SELECT COUNT(*) FROM "Integration" WHERE "status" = 'broken') AS "broken"`;

function secondsSince(value: Date | string | null, now: Date): number {
  if (value === null) return 0;
  const at = value instanceof Date ? value : new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value.replace(" ", "T")}Z`);
  return Math.max(0, (now.getTime() - at.getTime()) / 1000);
}

export function operationsRepository(db: Database, kind: DatabaseKind) {
  // Times are compared as the outbox stores them (see outbox.repository.ts).
  const outbox = outboxRepository(db, kind);
  const sql = SNAPSHOT.replace(":now", kind === "postgresql" ? "$1::timestamp" : "?").replace(":held", kind === "postgresql" ? "$2::timestamp" : "?");
  const time = outboxSql(kind).ts;
  return {
    async snapshot(now = new Date()): Promise<OperationsSnapshot> {
      // Marked rows (failed, held) are never due: their mark is past the bound.
      const [[row], outboxCounts] = await Promise.all([
        kind === "postgresql" ? db.$queryRawUnsafe<Row[]>(sql, time(now), time(HELD_MARK)) : db.$queryRawUnsafe<Row[]>(sql, time(HELD_MARK), time(now)),
        outbox.undeliveredCounts(),
      ]);
      if (!row) throw new Error("operations snapshot returned no row");
      return {
        outboxPending: Number(row.events) + outboxCounts.undelivered - outboxCounts.dead,
        oldestPendingAgeSeconds: Math.max(secondsSince(row.oldestEvent, now), secondsSince(outboxCounts.oldestQueued, now)),
        oldestDueAgeSeconds: secondsSince(row.oldestDue, now),
        deadRows: outboxCounts.dead,
        suspendedIntegrations: Number(row.suspended),
        brokenIntegrations: Number(row.broken),
      };
    },
  };
}

export type OperationsRepository = ReturnType<typeof operationsRepository>;
