// Turns recorded events into deliveries, outside the request that recorded
// them: each event, in id order, becomes one OutboxMessage per integration of
// its project that wants it (the shared rule of recipients.ts). One
// transaction per batch writes the messages and marks the events it finished
// fanned out, and each (event, integration) pair is unique, so a worker that
// dies half-way leaves the batch as it was and the next one does it again,
// never twice. An event for many flows takes several batches; the next one
// goes on with the flows it has not reached yet.
//
// Order: events are fanned out one batch at a time in id order (on PostgreSQL
// a transaction-scoped advisory lock keeps a second worker out meanwhile), so a
// thread's messages get ids in the order of its events. A new message becomes
// its thread's head (gets a `dueAt`) only when the thread has nothing
// undelivered; the thread's last row is locked while deciding, so an
// acknowledgement of that row running at the same moment either sees the new
// row and promotes it, or is seen as sent.
import { v7 as timeOrderedUuid } from "uuid";
import type { Database } from "../db/prisma-client.ts";
import type { DirectSql, SqlWork } from "../db/direct-sql.ts";
import type { DatabaseKind } from "../db/database-url.ts";
import { recipientsFor, wants, type Recipient } from "./recipients.ts";
import type { OutboxSql } from "./outbox-sql.ts";

const FAN_OUT_LOCK = 7_310_412; // any constant; names the lock in pg_locks
const EVENTS_PER_BATCH = 100;
// Keeps one transaction short (SQLite's write lock is the app's too): at most
// this many messages per batch, even when one event goes to more flows. (One
// event to 500 flows in one transaction held the app's event loop ~10 ms.)
const MESSAGES_PER_BATCH = 100;
const ROWS_PER_INSERT = 100;

interface PendingEvent {
  id: number;
  projectId: string;
  threadKey: string;
  kind: string;
  labels: string;
  createdAt: Date | string;
}

interface NewMessage {
  eventId: number;
  integrationId: string;
  threadKey: string;
  createdAt: string;
  head: boolean;
}

/**
 * Fans out the oldest events, at most MESSAGES_PER_BATCH messages in one
 * transaction: an event for more flows than that is fanned out over several.
 * Returns how many events it finished or advanced (0: none waiting, or another
 * worker is at it).
 */
export async function fanOutBatch(db: Database, hot: DirectSql, sql: OutboxSql): Promise<number> {
  const { rows: waiting } = await hot.run({ sql: `SELECT "id", "projectId", "threadKey", "kind", "labels", "createdAt" FROM "OutboxEvent" WHERE "fannedOut" = false ORDER BY "id" LIMIT ${EVENTS_PER_BATCH}`, params: [] });
  if (waiting.length === 0) return 0;
  const events = waiting as unknown as PendingEvent[];

  // Settings are read once per project per batch, before the batch's
  // transaction, which stays as short as it can (on SQLite its write lock is
  // the app's too): a change applies from the next batch, and an integration
  // removed meanwhile is left out below.
  const recipients = new Map<string, Recipient[]>();
  for (const projectId of new Set(events.map((e) => e.projectId))) recipients.set(projectId, await recipientsFor(db, projectId));

  return hot.transaction(function* () {
    if (hot.kind === "postgresql") {
      const { rows: [lock] } = yield { sql: `SELECT pg_try_advisory_xact_lock(${FAN_OUT_LOCK}) AS locked`, params: [] };
      if (!lock?.locked) return 0;
    }
    // Another worker may have fanned some of them out since they were read.
    const { rows: still } = yield { sql: `SELECT "id" FROM "OutboxEvent" WHERE "fannedOut" = false AND "id" IN (${sql.list(events.length, 1)})`, params: events.map((e) => Number(e.id)) };
    const pending = new Set(still.map((r) => Number(r.id)));
    const integrationIds = [...new Set([...recipients.values()].flat().map((r) => r.integrationId))];
    // On PostgreSQL the integrations are key-share locked first: one deleted
    // meanwhile is left out, one being deleted waits until this batch commits
    // (its cascade then takes the new rows too), and the locks are taken in the
    // order a delete takes them (integration, then its messages), so the two
    // can't deadlock. Unlocked, an insert raced a disconnect into a foreign-key
    // error. SQLite has one writer, so nothing can change in between there.
    const { rows: present } = integrationIds.length === 0
      ? { rows: [] }
      : yield { sql: `SELECT "id" FROM "Integration" WHERE "id" IN (${sql.list(integrationIds.length, 1)})${hot.kind === "postgresql" ? " FOR KEY SHARE" : ""}`, params: integrationIds };
    const exists = new Set(present.map((r) => String(r.id)));

    const skipped = new Map<string, number>();
    const messages: NewMessage[] = [];
    const taken: number[] = [];
    let begun = false;
    for (const event of events) {
      const id = Number(event.id);
      if (!pending.has(id)) continue;
      const room = MESSAGES_PER_BATCH - messages.length;
      if (room <= 0) break;
      const activity = { kind: event.kind, labels: JSON.parse(event.labels) as string[] };
      const createdAt = sql.ts(event.createdAt instanceof Date ? event.createdAt : new Date(event.createdAt));
      const skips: string[] = [];
      const to: string[] = [];
      for (const r of recipients.get(event.projectId) ?? []) {
        if (!exists.has(r.integrationId)) continue;
        // A suspended integration queues nothing: the skip is counted and shown on
        // its page; every message carries the item's whole thread state, so the
        // first event after resuming brings the thread up to date without a flood.
        if (r.suspension !== null) skips.push(r.integrationId);
        else if (wants(r, activity)) to.push(r.integrationId);
      }
      // Only the batch's first event can be part-way (a batch stops at one it
      // could not finish); the integrations it already reached are skipped.
      if (taken.length === 0) {
        const { rows: done } = yield { sql: `SELECT "integrationId" FROM "OutboxMessage" WHERE "eventId" = ${sql.list(1, 1)}`, params: [id] };
        const reached = new Set(done.map((r) => String(r.integrationId)));
        to.splice(0, to.length, ...to.filter((i) => !reached.has(i)));
      }
      for (const integrationId of to.slice(0, room)) messages.push({ eventId: id, integrationId, threadKey: event.threadKey, createdAt, head: false });
      if (to.length > room) {
        begun = true; // the rest goes in the next batch, before any later event
        break;
      }
      taken.push(id);
      for (const i of skips) skipped.set(i, (skipped.get(i) ?? 0) + 1);
    }
    if (taken.length === 0 && !begun) return 0;

    for (const [id, count] of skipped) {
      yield { sql: `UPDATE "Integration" SET "skippedWhileSuspended" = "skippedWhileSuspended" + ${sql.list(1, 1)} WHERE "id" = ${sql.list(1, 2)}`, params: [count, id] };
    }
    yield* markHeads(sql, messages);
    yield* insert(hot.kind, sql, messages);
    if (taken.length > 0) yield { sql: `UPDATE "OutboxEvent" SET "fannedOut" = true WHERE "id" IN (${sql.list(taken.length, 1)})`, params: taken };
    return taken.length + (begun ? 1 : 0);
  });
}

// A message is its thread's head when nothing of the thread is undelivered:
// the thread's last row (one index seek each) is absent or sent.
function* markHeads(sql: OutboxSql, messages: NewMessage[]): SqlWork<void> {
  const key = (integrationId: string, threadKey: string) => `${integrationId}\u0000${threadKey}`;
  const pairs = [...new Map(messages.map((m) => [key(m.integrationId, m.threadKey), m])).values()];
  const busy = new Set<string>();
  for (let i = 0; i < pairs.length; i += ROWS_PER_INSERT) {
    const chunk = pairs.slice(i, i + ROWS_PER_INSERT);
    const { rows: last } = yield { sql: sql.lastRows(chunk.length), params: chunk.flatMap((m) => [m.integrationId, m.threadKey]) };
    for (const row of last) if (row.status !== "sent") busy.add(key(String(row.integrationId), String(row.threadKey)));
  }
  for (const m of messages) {
    const k = key(m.integrationId, m.threadKey);
    if (!busy.has(k)) {
      m.head = true;
      busy.add(k);
    }
  }
}

function* insert(kind: DatabaseKind, sql: OutboxSql, messages: NewMessage[]): SqlWork<void> {
  const now = sql.ts(new Date());
  const cast = kind === "postgresql" ? "::timestamp" : "";
  for (let i = 0; i < messages.length; i += ROWS_PER_INSERT) {
    const chunk = messages.slice(i, i + ROWS_PER_INSERT);
    const params: unknown[] = [now];
    const values = chunk.map((m) => {
      // Time-ordered (UUIDv7), so the uuid index grows at its end: a random one
      // puts each new row on another page of it, one more page to write per row.
      params.push(m.eventId, m.integrationId, m.threadKey, timeOrderedUuid(), m.createdAt);
      const n = params.length;
      const ph = (k: number) => (kind === "postgresql" ? `$${k}` : "?");
      // SQLite's `?` are positional, so `now` is passed once per use there.
      const nowRef = kind === "postgresql" ? `$1${cast}` : (params.push(now), "?");
      const dueRef = m.head ? (kind === "postgresql" ? `$1${cast}` : (params.push(now), "?")) : "NULL";
      return `(${ph(n - 4)}, ${ph(n - 3)}, ${ph(n - 2)}, ${ph(n - 1)}, ${ph(n)}${cast}, ${nowRef}, ${dueRef})`;
    });
    yield {
      sql: `INSERT INTO "OutboxMessage" ("eventId", "integrationId", "threadKey", "uuid", "createdAt", "availableAt", "dueAt") VALUES ${values.join(", ")}`,
      params: kind === "postgresql" ? params : params.slice(1),
    };
  }
}
