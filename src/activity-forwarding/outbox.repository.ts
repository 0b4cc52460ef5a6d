// The outbox table. Rows are written in the domain's transaction and claimed by
// delivery workers with a lease: a worker that dies simply lets its lease run
// out. Only the oldest undelivered row of each thread can be claimed, so a
// thread's messages go out strictly in order, whatever the number of workers.
import crypto from "node:crypto";
import type { Database, Tx } from "../db/prisma-client.ts";
import type { DatabaseKind } from "../db/database-url.ts";
import type { OutgoingMessage } from "../flowdock-client/flowdock-types.ts";
import type { Activity, ActivityRecorder } from "./activity.ts";
import { recipientsFor, wants } from "./recipients.ts";

export type DeliveryStatus = "pending" | "sent" | "dead";

export interface ClaimedMessage {
  id: number;
  integrationId: string;
  threadKey: string;
  uuid: string;
  message: OutgoingMessage;
  attempts: number;
  queuedAt: Date;
}

export interface DeliveryRow {
  id: number;
  integrationId: string;
  threadKey: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  availableAt: Date;
  createdAt: Date;
  sentAt: Date | null;
  title: string;
}

export function outboxRepository(db: Database, kind: DatabaseKind) {
  const claimSql = kind === "postgresql" ? CLAIM_POSTGRES : CLAIM_SQLITE;
  const time = (d: Date) => (kind === "postgresql" ? d.toISOString().replace("T", " ").replace("Z", "") : d.toISOString().replace("Z", "+00:00"));

  const recorder: ActivityRecorder = {
    async record(tx: Tx, activity: Activity) {
      const recipients = await recipientsFor(tx, activity.projectId);
      // A suspended integration queues nothing: the skip is counted and shown on
      // its page; every message carries the item's whole thread state, so the
      // first event after resuming brings the thread up to date without a flood.
      const suspended = recipients.filter((r) => r.suspension !== null).map((r) => r.integrationId);
      if (suspended.length) await tx.integration.updateMany({ where: { id: { in: suspended } }, data: { skippedWhileSuspended: { increment: 1 } } });
      const targets = recipients.filter((r) => r.suspension === null && wants(r, activity)).map((r) => ({ id: r.integrationId }));
      if (targets.length === 0) return;
      const now = new Date();
      await tx.outboxMessage.createMany({
        data: targets.map((t) => ({
          integrationId: t.id,
          threadKey: activity.threadKey,
          uuid: crypto.randomUUID(),
          payload: JSON.stringify(toMessage(activity)),
          availableAt: now,
          createdAt: now,
        })),
      });
    },
  };

  return {
    recorder,

    /** Leases up to `limit` deliverable rows to `owner` until `now + leaseMs`. */
    async claim(owner: string, limit: number, leaseMs: number, now = new Date()): Promise<ClaimedMessage[]> {
      const rows = await db.$queryRawUnsafe<{ id: number | bigint; integrationId: string; threadKey: string; uuid: string; payload: string; attempts: number | bigint; createdAt: Date | string }[]>(
        claimSql, ...(kind === "postgresql"
          ? [owner, time(new Date(now.getTime() + leaseMs)), time(now), limit]
          : [owner, time(new Date(now.getTime() + leaseMs)), time(now), time(now), limit]),
      );
      return rows
        .map((r) => ({ id: Number(r.id), integrationId: r.integrationId, threadKey: r.threadKey, uuid: r.uuid, attempts: Number(r.attempts), queuedAt: new Date(r.createdAt), message: { ...JSON.parse(r.payload), uuid: r.uuid } }))
        .sort((a, b) => a.id - b.id);
    },

    async markSent(id: number, owner: string): Promise<void> {
      await db.outboxMessage.updateMany({ where: { id, leaseOwner: owner }, data: { status: "sent", sentAt: new Date(), leaseOwner: null, leaseUntil: null, lastError: null } });
    },

    async retryLater(id: number, owner: string, update: { availableAt: Date; attempts: number; error: string }): Promise<void> {
      await db.outboxMessage.updateMany({ where: { id, leaseOwner: owner }, data: { availableAt: update.availableAt, attempts: update.attempts, lastError: update.error, leaseOwner: null, leaseUntil: null } });
    },

    async markDead(id: number, owner: string, update: { attempts: number; error: string }): Promise<void> {
      await db.outboxMessage.updateMany({ where: { id, leaseOwner: owner }, data: { status: "dead", attempts: update.attempts, lastError: update.error, leaseOwner: null, leaseUntil: null } });
    },

    /** Holds every pending row of an integration until `until` (its flow token is rate-limited). */
    async deferIntegration(integrationId: string, until: Date): Promise<void> {
      await db.outboxMessage.updateMany({ where: { integrationId, status: "pending", availableAt: { lt: until } }, data: { availableAt: until } });
    },

    /** Forgets delivered rows older than `before`; they only feed the "recent deliveries" list. */
    async pruneSent(before: Date): Promise<number> {
      const { count } = await db.outboxMessage.deleteMany({ where: { status: "sent", sentAt: { lt: before } } });
      return count;
    },

    async deadCount(integrationId: string): Promise<number> {
      return db.outboxMessage.count({ where: { integrationId, status: "dead" } });
    },

    /** A dead row goes back in the queue (a project owner asked for it). */
    async revive(id: number, integrationId: string): Promise<boolean> {
      const { count } = await db.outboxMessage.updateMany({ where: { id, integrationId, status: "dead" }, data: { status: "pending", attempts: 0, availableAt: new Date(), lastError: null } });
      return count === 1;
    },

    async recentForIntegration(integrationId: string, limit = 25): Promise<DeliveryRow[]> {
      const rows = await db.outboxMessage.findMany({ where: { integrationId }, orderBy: { id: "desc" }, take: limit });
      return rows.map((r) => ({
        id: r.id, integrationId: r.integrationId, threadKey: r.threadKey, status: r.status as DeliveryStatus, attempts: r.attempts,
        lastError: r.lastError, availableAt: r.availableAt, createdAt: r.createdAt, sentAt: r.sentAt, title: describe(r.payload),
      }));
    },

    async countByStatus(integrationId?: string): Promise<Record<DeliveryStatus, number>> {
      const groups = await db.outboxMessage.groupBy({ by: ["status"], where: integrationId ? { integrationId } : {}, _count: { _all: true } });
      const counts: Record<DeliveryStatus, number> = { pending: 0, sent: 0, dead: 0 };
      for (const g of groups) counts[g.status as DeliveryStatus] = g._count._all;
      return counts;
    },
  };
}

export type OutboxRepository = ReturnType<typeof outboxRepository>;

function toMessage(activity: Activity): Omit<OutgoingMessage, "uuid"> {
  return {
    event: activity.event,
    author: activity.author,
    ...(activity.title !== undefined ? { title: activity.title } : {}),
    ...(activity.body !== undefined ? { body: activity.body } : {}),
    external_thread_id: activity.threadKey,
    thread: activity.thread,
    ...(activity.tags?.length ? { tags: activity.tags } : {}),
  };
}

function describe(payload: string): string {
  try {
    const m = JSON.parse(payload) as OutgoingMessage;
    return m.event === "discussion" ? `${m.author.name} commented on “${m.thread.title}”` : `${m.author.name} ${m.title ?? ""} “${m.thread.title}”`;
  } catch {
    return "(unreadable message)";
  }
}

// Deliverable: pending, due, not leased by a live worker, its integration
// active, and no older undelivered row in its thread (a dead one blocks its
// thread until it is retried, so order is never broken).
const ELIGIBLE = `
  o."status" = 'pending' AND o."availableAt" <= $3 AND (o."leaseUntil" IS NULL OR o."leaseUntil" < $3)
  AND EXISTS (SELECT 1 FROM "Integration" i WHERE i."id" = o."integrationId" AND i."status" = 'active')
  AND NOT EXISTS (SELECT 1 FROM "OutboxMessage" e WHERE e."integrationId" = o."integrationId" AND e."threadKey" = o."threadKey" AND e."id" < o."id" AND e."status" <> 'sent')`;

// Oldest due first, straight off the (status, availableAt) index, so a claim
// stops after `limit` rows instead of sorting the whole backlog. Order within a
// thread doesn't depend on this: the NOT EXISTS above guarantees it.
// SKIP LOCKED lets several workers claim side by side without waiting on each other.
const CLAIM_POSTGRES = `
UPDATE "OutboxMessage" SET "leaseOwner" = $1, "leaseUntil" = $2::timestamp
WHERE "id" IN (SELECT o."id" FROM "OutboxMessage" o WHERE ${ELIGIBLE.replace(/\$3/g, "$3::timestamp")} ORDER BY o."availableAt" LIMIT $4 FOR UPDATE SKIP LOCKED)
RETURNING "id", "integrationId", "threadKey", "uuid", "payload", "attempts", "createdAt"`;

// SQLite runs one worker; the statement is atomic on its own. Its driver takes
// only anonymous `?` parameters, so `now` is passed once per use.
const CLAIM_SQLITE = `
UPDATE "OutboxMessage" SET "leaseOwner" = ?, "leaseUntil" = ?
WHERE "id" IN (SELECT o."id" FROM "OutboxMessage" o WHERE ${ELIGIBLE.replace(/\$3/g, "?")} ORDER BY o."availableAt" LIMIT ?)
RETURNING "id", "integrationId", "threadKey", "uuid", "payload", "attempts", "createdAt"`;
