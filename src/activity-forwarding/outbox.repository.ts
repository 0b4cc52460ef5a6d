// The outbox. A domain's transaction records one OutboxEvent per event; the
// delivery worker fans events out to one OutboxMessage per integration
// (fan-out.ts) and claims messages with a lease: a worker that dies simply
// lets its lease run out. Only a thread's head (its oldest undelivered row) can
// be claimed, so a thread's messages go out strictly in order, whatever the
// number of workers; how claims stay flat is in outbox-sql.ts.
import { directSql, type Database, type Tx } from "../db/prisma-client.ts";
import type { SqlResult } from "../db/direct-sql.ts";
import type { DatabaseKind } from "../db/database-url.ts";
import type { OutgoingMessage } from "../flowdock-client/flowdock-types.ts";
import type { Activity, ActivityRecorder } from "./activity.ts";
import { fanOutBatch } from "./fan-out.ts";
import { DEAD_MARK, HELD_MARK, outboxSql } from "./outbox-sql.ts";

export type DeliveryStatus = "pending" | "sent" | "dead";

export interface ClaimedMessage {
  id: number;
  integrationId: string;
  threadKey: string;
  uuid: string;
  /** The message as JSON, without uuid and flow token. */
  payload: string;
  attempts: number;
  /** When its event was recorded. */
  queuedAt: Date;
  /** False when the integration can no longer be posted to (e.g. Flowdock refused its token). */
  active: boolean;
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

type ClaimedRow = { id: number | bigint; integrationId: string; threadKey: string; uuid: string; attempts: number | bigint; createdAt: Date | string; payload: string | null; integrationStatus: string | null };

export function outboxRepository(db: Database, kind: DatabaseKind) {
  const sql = outboxSql(kind);

  const recorder: ActivityRecorder = {
    // One row per event, whatever the number of integrations: the worker fans it out.
    async record(tx: Tx, activity: Activity) {
      await tx.outboxEvent.create({
        data: {
          projectId: activity.projectId, threadKey: activity.threadKey, kind: activity.kind,
          labels: JSON.stringify(activity.labels ?? []), payload: JSON.stringify(toMessage(activity)),
        },
      });
    },
  };

  /**
   * One round trip of the worker: marks `sent` rows sent, makes the next row
   * of each of their threads its head, and leases up to `limit` due heads to
   * `owner` until `now + leaseMs`, in one transaction (a crash between sent
   * and promoted would stall the thread; a hot thread's next row is claimed
   * in the same trip that acknowledged the one before).
   */
  async function cycle(owner: string, sent: number[], limit: number, leaseMs: number, now = new Date()): Promise<ClaimedMessage[]> {
    if (sent.length === 0 && limit <= 0) return [];
    const at = sql.ts(now);
    const hot = await directSql(db);
    const rows = await hot.transaction(function* () {
      if (sent.length > 0) {
        yield { sql: sql.acknowledge(sent.length), params: [at, ...sent, owner] };
        yield { sql: sql.promote(sent.length), params: [...(kind === "postgresql" ? [at] : [at, at]), ...sent] };
      }
      if (limit <= 0) return [];
      const claimed: SqlResult = yield sql.claim(owner, sql.ts(new Date(now.getTime() + leaseMs)), at, limit);
      return claimed.rows as ClaimedRow[];
    });
    return rows
      .map((r) => ({
        id: Number(r.id), integrationId: r.integrationId, threadKey: r.threadKey, uuid: r.uuid, attempts: Number(r.attempts),
        payload: r.payload ?? "{}", queuedAt: r.createdAt instanceof Date ? r.createdAt : new Date(r.createdAt), active: r.integrationStatus === "active",
      }))
      .sort((a, b) => a.id - b.id);
  }

  /** Undelivered (pending and failed) and failed rows, and the oldest pending row's time; see `counts` in outbox-sql.ts. */
  async function undeliveredCounts(integrationId?: string): Promise<{ undelivered: number; dead: number; oldestQueued: Date | null }> {
    const { rows: [row] } = await (await directSql(db)).run({ sql: sql.counts(integrationId !== undefined), params: integrationId !== undefined ? [integrationId] : [] });
    const oldest = row?.oldestQueued as Date | string | null | undefined;
    return {
      undelivered: Number(row?.undelivered ?? 0), dead: Number(row?.dead ?? 0),
      oldestQueued: oldest === null || oldest === undefined ? null : oldest instanceof Date ? oldest : new Date(oldest),
    };
  }

  return {
    recorder,

    /** Fans out the oldest batch of recorded events; returns how many it took. */
    fanOut: async () => fanOutBatch(db, await directSql(db), sql),

    cycle,

    /** Leases up to `limit` due thread heads to `owner` until `now + leaseMs`. */
    claim(owner: string, limit: number, leaseMs: number, now = new Date()): Promise<ClaimedMessage[]> {
      return cycle(owner, [], limit, leaseMs, now);
    },

    /** Marks rows sent and makes the next row of each of their threads its head. */
    async acknowledge(ids: number[], owner: string, now = new Date()): Promise<void> {
      await cycle(owner, ids, 0, 0, now);
    },

    /** Keeps our leases on rows whose posts are still in flight. */
    async renew(ids: number[], owner: string, leaseMs: number): Promise<void> {
      if (ids.length === 0) return;
      await (await directSql(db)).run({ sql: sql.renew(ids.length), params: [sql.ts(new Date(Date.now() + leaseMs)), ...ids, owner] });
    },

    /** Gives back claimed rows that were not posted: due again at `dueAt` (by default at once). */
    async release(ids: number[], owner: string, dueAt = new Date()): Promise<void> {
      await db.outboxMessage.updateMany({ where: { id: { in: ids }, leaseOwner: owner, status: "pending", dueAt: { not: null } }, data: { dueAt, leaseOwner: null } });
    },

    async retryLater(id: number, owner: string, update: { availableAt: Date; attempts: number; error: string }): Promise<void> {
      await db.outboxMessage.updateMany({
        where: { id, leaseOwner: owner, status: "pending" },
        data: { availableAt: update.availableAt, dueAt: update.availableAt, attempts: update.attempts, lastError: update.error, leaseOwner: null },
      });
    },

    /** Parks a row as failed; it keeps blocking its thread (no new head) until retried. */
    async markDead(id: number, owner: string, update: { attempts: number; error: string }): Promise<void> {
      await db.outboxMessage.updateMany({ where: { id, leaseOwner: owner, status: "pending" }, data: { status: "dead", dueAt: DEAD_MARK, attempts: update.attempts, lastError: update.error, leaseOwner: null } });
    },

    /**
     * Stops offering an integration's rows (Flowdock refused its token): they
     * stay queued, and claims don't keep reading heads that can't be sent.
     */
    async holdIntegration(integrationId: string, error: string): Promise<void> {
      await db.outboxMessage.updateMany({ where: { integrationId, status: "pending", dueAt: { not: null } }, data: { dueAt: HELD_MARK, leaseOwner: null, lastError: error } });
    },

    /** Holds every due head of an integration until `until` (its flow token is rate-limited). */
    async deferIntegration(integrationId: string, until: Date): Promise<void> {
      await db.outboxMessage.updateMany({ where: { integrationId, status: "pending", dueAt: { not: null, lt: until } }, data: { dueAt: until } });
    },

    /**
     * PostgreSQL only: vacuums the outbox's tables once enough of their rows
     * are dead. Every claim, acknowledgement and promotion rewrites a row, and
     * without vacuuming, the heads' index and the tables fill with dead row
     * versions that every claim then steps over. With autovacuum off (as on
     * these machines) the 40,000-event drains ran at 0.6–0.9× the rate of the
     * 2,000-event ones and at about half the rate they reach with this
     * (`npm run bench`, drain). Autovacuum, where it runs, does the same job;
     * this only makes the outbox not depend on it. Returns the tables vacuumed.
     */
    async vacuumIfNeeded(): Promise<string[]> {
      if (kind !== "postgresql") return [];
      const hot = await directSql(db);
      const { rows } = await hot.run({
        sql: `SELECT relname AS "table" FROM pg_stat_user_tables WHERE relname IN ('OutboxMessage', 'OutboxEvent') AND n_dead_tup > 1000 + 0.1 * n_live_tup`,
        params: [],
      });
      const tables = rows.map((r) => String(r.table));
      for (const table of tables) await hot.run({ sql: `VACUUM "${table}"`, params: [] });
      return tables;
    },

    /** Forgets delivered rows older than `before` (they only feed "recent deliveries"), then events nothing refers to. */
    async pruneSent(before: Date): Promise<number> {
      const { count } = await db.outboxMessage.deleteMany({ where: { status: "sent", sentAt: { lt: before } } });
      await db.outboxEvent.deleteMany({ where: { fannedOut: true, createdAt: { lt: before }, messages: { none: {} } } });
      return count;
    },

    /** A dead row goes back in the queue as its thread's head (a project owner asked for it). */
    async revive(id: number, integrationId: string): Promise<boolean> {
      const now = new Date();
      const { count } = await db.outboxMessage.updateMany({ where: { id, integrationId, status: "dead" }, data: { status: "pending", attempts: 0, availableAt: now, dueAt: now, lastError: null } });
      return count === 1;
    },

    async recentForIntegration(integrationId: string, limit = 25): Promise<DeliveryRow[]> {
      const rows = await db.outboxMessage.findMany({ where: { integrationId }, orderBy: { id: "desc" }, take: limit, include: { event: { select: { payload: true } } } });
      return rows.map((r) => ({
        id: r.id, integrationId: r.integrationId, threadKey: r.threadKey, status: r.status as DeliveryStatus, attempts: r.attempts,
        lastError: r.lastError, availableAt: r.availableAt, createdAt: r.createdAt, sentAt: r.sentAt, title: describe(r.event.payload),
      }));
    },

    /**
     * How many rows are waiting, failed and sent, overall or for one
     * integration. The sent ones are all rows less the undelivered: a count
     * of the thread index alone (a covering scan), where grouping by status
     * read every delivered row (260 ms at 200k on SQLite).
     */
    async countByStatus(integrationId?: string): Promise<Record<DeliveryStatus, number>> {
      const hot = await directSql(db);
      const [undelivered, { rows: [all] }] = await Promise.all([
        undeliveredCounts(integrationId),
        // Plain SQL: Prisma's count wraps the query in a subquery, which SQLite ran 3× slower.
        hot.run(integrationId === undefined
          ? { sql: `SELECT COUNT(*) AS "n" FROM "OutboxMessage"`, params: [] }
          : { sql: `SELECT COUNT(*) AS "n" FROM "OutboxMessage" WHERE "integrationId" = ${sql.list(1, 1)}`, params: [integrationId] }),
      ]);
      const total = Number(all?.n ?? 0);
      return { pending: undelivered.undelivered - undelivered.dead, sent: total - undelivered.undelivered, dead: undelivered.dead };
    },

    undeliveredCounts,

    /** Events not fanned out yet plus messages not delivered yet (dead ones included). */
    async backlog(): Promise<number> {
      const [events, messages] = await Promise.all([db.outboxEvent.count({ where: { fannedOut: false } }), undeliveredCounts()]);
      return events + messages.undelivered;
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
