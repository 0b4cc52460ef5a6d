// The SQL of the delivery hot path, for each database. Raw SQL rather than
// Prisma's query builder: the worker runs these a few times per delivered
// event, and building them through Prisma cost more CPU than the post itself.
//
// How a claim stays flat (measured, see README "Benchmarks"): only a thread's
// head (its oldest undelivered row) carries a `dueAt`, and every other row of
// the outbox, delivered or queued behind a head, has `dueAt` NULL. A claim is
// a range scan of the `dueAt` index up to now, so it reads due heads and
// nothing else, whatever the thread's history or backlog, and the plan needs
// no statistics: an index range in the ORDER BY's order under a LIMIT is
// cheaper than any alternative on both databases. The index is partial: only
// rows with a `dueAt` are in it (migration 20261123200000; Prisma's schema
// can't say so, hence prisma/<provider>/beyond-schema.sql). With a plain index
// a NULL `dueAt` was kept out of the `<=` scan all the same, but a sent row's
// entry entered the NULL range at its own id, a leaf per thread in flight once
// the backlog passed ~10k rows: 3.2 WAL pages an event at 10k and 40k against
// 2.0 with the partial index (README, "Benchmarks"). (Considered and measured:
// moving delivered rows to a log leaves the queued tail of a busy thread in
// the scan; a separate head table costs one more write per event.)
//
// `dueAt` also carries the lease: a claim sets it to the lease's end, so a
// crashed worker's rows become due again by themselves, and a live worker
// renews it while its post is in flight.
//
// And it marks what can't be claimed: a failed row (DEAD_MARK) and the head
// of an integration whose token Flowdock refused (HELD_MARK) carry a date far
// past any `now`. So every thread with something undelivered has exactly one
// row with a `dueAt`, its oldest undelivered one, and the counts of pending
// and failed rows start from those rows (`counts` below) instead of an index
// on `status`. Such an index was the one thing an acknowledgement changed at
// two places far apart: with threads queued one after another, each thread's
// rows sit in a run of ids of their own, so every acknowledgement rewrote
// another page of it (`npm run bench`, database cost: 4.0 WAL pages per
// delivered event at a 2k backlog and 5.4 at 40k, and that drain at 0.69–0.76×
// the 2k rate; without the index 2.6 and 3.3 pages, and 1.04–1.10×). `dueAt`
// changes only at the index's due end: a sent row's entry leaves it, its
// thread's next row enters it.
import type { DatabaseKind } from "../db/database-url.ts";
import { sqlDialect } from "../db/direct-sql.ts";

/** The `dueAt` of a row parked as failed: never due, until a person retries it. */
export const DEAD_MARK = new Date("9999-12-31T00:00:00.000Z");
/** The `dueAt` of a head held back because Flowdock refused its integration's token. */
export const HELD_MARK = new Date("9999-12-30T00:00:00.000Z");

export interface OutboxSql {
  /**
   * The statements of a claim, run in one transaction: they lease up to
   * `limit` due heads to `owner`; the rows of the statement at `rows` are the
   * claimed messages with their event's payload and integration's status.
   */
  claim(owner: string, leaseUntil: string, now: string, limit: number): Statement;
  /** leaseUntil, ids…, owner → leases still ours on pending heads extended. */
  renew(count: number): string;
  /** now, ids… → rows marked sent (only those still leased by us; owner is the last parameter). */
  acknowledge(count: number): string;
  /** Gives each thread whose head was just sent its next row as the new head. */
  promote(count: number): string;
  /** Ids of the last row of each (integration, thread) pair, locked on PostgreSQL. */
  lastRows(pairs: number): string;
  /** A `?`/`$n` placeholder list from position `from` (1-based). */
  list(count: number, from: number): string;
  ts(d: Date): string;
  /**
   * Undelivered rows (pending and failed), failed rows and the oldest pending
   * row's `createdAt`, overall or (with a parameter) for one integration; read
   * from each thread's marked row and the thread's index behind it, so they
   * cost what is undelivered, never the delivered history.
   */
  counts(forIntegration: boolean): string;
}

// The row next to a position in a thread, in the (integrationId, threadKey, id)
// index: a row-value range in that index's own order, so the only plan is a
// seek there (an "id > x ORDER BY id" form let PostgreSQL walk the primary key
// over every other thread's rows instead). The row found may belong to the
// next thread along, hence the check that it is in this one. SQLite seeks the
// plain form straight (and uses only the first column of a row-value range).
const THREAD_SEEK_SQLITE = `SELECT n."id" FROM "OutboxMessage" n WHERE n."integrationId" = {I} AND n."threadKey" = {T} AND n."id" {OP} {ID} ORDER BY n."id"{DIR} LIMIT 1`;
const THREAD_SEEK_POSTGRES = `SELECT CASE WHEN n."integrationId" = {I} AND n."threadKey" = {T} THEN n."id" END FROM "OutboxMessage" n
  WHERE (n."integrationId", n."threadKey", n."id") {OP} ({I}, {T}, {ID})
  ORDER BY n."integrationId"{DIR}, n."threadKey"{DIR}, n."id"{DIR} LIMIT 1`;
const MAX_ID = 2_147_483_647; // the column is a 32-bit integer on PostgreSQL

export interface Statement {
  sql: string;
  params: unknown[];
}

// A statement's text depends only on how many ids it holds: each is built once
// per count (the worker asks for them on every trip, and building the promote
// text took ~2% of its CPU). Counts are bounded by the batch sizes.
function byCount(build: (count: number) => string): (count: number) => string {
  const built = new Map<number, string>();
  return (count) => {
    let text = built.get(count);
    if (text === undefined) built.set(count, (text = build(count)));
    return text;
  };
}

export function outboxSql(kind: DatabaseKind): OutboxSql {
  const pg = kind === "postgresql";
  const THREAD_SEEK = pg ? THREAD_SEEK_POSTGRES : THREAD_SEEK_SQLITE;
  const { param: p, timestamp: ts, stamp } = sqlDialect(kind);
  const list = (count: number, from: number) => Array.from({ length: count }, (_, i) => p(from + i)).join(", ");
  return {
    ts,
    list,
    claim: (owner, leaseUntil, now, limit) => ({ sql: pg ? CLAIM_POSTGRES : CLAIM_SQLITE, params: [owner, leaseUntil, now, limit] }),
    renew: byCount((count) => `UPDATE "OutboxMessage" SET "dueAt" = ${p(1)}${stamp} WHERE "id" IN (${list(count, 2)}) AND "leaseOwner" = ${p(count + 2)} AND "status" = 'pending' AND "dueAt" IS NOT NULL`),
    acknowledge: byCount((count) => `UPDATE "OutboxMessage" SET "status" = 'sent', "sentAt" = ${p(1)}${stamp}, "dueAt" = NULL, "leaseOwner" = NULL, "lastError" = NULL
      WHERE "id" IN (${list(count, 2)}) AND "leaseOwner" = ${p(count + 2)} AND "status" = 'pending'`),
    // The next row of the thread is the first one after the sent row in the
    // (integrationId, threadKey, id) index: one seek per thread, never a scan of
    // its history. Only a row that is not a head yet (dueAt NULL, pending) is
    // changed, so a head already claimed is never handed out twice. That guard
    // sits in the SET, not the WHERE, and the ids go in as an array: the only
    // way to find the rows is then the primary key (PostgreSQL without
    // statistics otherwise read every delivered row off the dueAt index).
    promote: byCount((count) => {
      const due = `CASE WHEN "availableAt" > ${p(1)}${stamp} THEN "availableAt" ELSE ${p(1)}${stamp} END`;
      const next = `SELECT (${THREAD_SEEK.replace(/\{I\}/g, 's."integrationId"').replace(/\{T\}/g, 's."threadKey"').replace("{OP}", ">").replace("{ID}", 's."id"').replace(/\{DIR\}/g, "")})
        FROM "OutboxMessage" s WHERE s."id" IN (${list(count, 2)})`;
      return pg
        ? `UPDATE "OutboxMessage" SET "dueAt" = CASE WHEN "dueAt" IS NULL AND "status" = 'pending' THEN ${due} ELSE "dueAt" END WHERE "id" = ANY(ARRAY(${next}))`
        : `UPDATE "OutboxMessage" SET "dueAt" = ${due} WHERE "dueAt" IS NULL AND "status" = 'pending' AND "id" IN (${next})`;
    }),
    counts: (forIntegration) => {
      // Bounded on both sides: PostgreSQL without statistics then takes the
      // range for a small part of the table (an open one for a third of it).
      const dead = `'${ts(DEAD_MARK)}'${stamp}`;
      // The integration is checked on the marked rows read, not used to find
      // them: SQLite's `+` and the CASE keep the planners off its index, which
      // holds the integration's whole history.
      const only = !forIntegration ? "" : pg ? ` AND CASE WHEN m."integrationId" = $1 THEN true END` : ` AND +m."integrationId" = ?`;
      // The thread's rows from the marked one on: on PostgreSQL as a range
      // between two row values in the thread index's order, which only that
      // index can serve (after ANALYZE it chose the primary key from m's id
      // on, reading every later thread's rows too).
      const behind = (op: string, what: string) => pg
        ? `(SELECT ${what} FROM "OutboxMessage" n WHERE (n."integrationId", n."threadKey", n."id") ${op} (m."integrationId", m."threadKey", m."id") AND (n."integrationId", n."threadKey", n."id") <= (m."integrationId", m."threadKey", ${MAX_ID}))`
        : `(SELECT ${what} FROM "OutboxMessage" n WHERE n."integrationId" = m."integrationId" AND n."threadKey" = m."threadKey" AND n."id" ${op} m."id")`;
      return `SELECT COALESCE(SUM(${behind(">=", "COUNT(*)")}), 0) AS "undelivered",
        COALESCE(SUM(CASE WHEN m."status" = 'dead' THEN 1 ELSE 0 END), 0) AS "dead",
        MIN(CASE WHEN m."status" = 'pending' THEN m."createdAt" ELSE ${behind(">", `MIN(n."createdAt")`)} END) AS "oldestQueued"
        FROM "OutboxMessage" m WHERE m."dueAt" >= ${pg ? "'1970-01-01'::timestamp" : "''"} AND m."dueAt" <= ${dead}${only}`;
    },
    lastRows: byCount((pairs) => {
      const values = Array.from({ length: pairs }, (_, i) => `(${p(2 * i + 1)}, ${p(2 * i + 2)})`).join(", ");
      const last = THREAD_SEEK.replace(/\{I\}/g, "v.i").replace(/\{T\}/g, "v.t").replace("{OP}", "<").replace("{ID}", pg ? String(MAX_ID) : "9223372036854775807").replace(/\{DIR\}/g, " DESC");
      const pick = `SELECT (${last}) FROM (VALUES ${values}) AS v(i, t)`;
      // SQLite names VALUES columns column1, column2 and has one writer anyway.
      return pg
        ? `SELECT "id", "integrationId", "threadKey", "status" FROM "OutboxMessage" WHERE "id" = ANY(ARRAY(${pick})) FOR UPDATE`
        : `SELECT "id", "integrationId", "threadKey", "status" FROM "OutboxMessage" WHERE "id" IN (${pick.replace("AS v(i, t)", "AS v").replace(/v\.i/g, "v.column1").replace(/v\.t/g, "v.column2")})`;
    }),
  };
}

// Due heads, oldest due first: one range of the `dueAt` index, and nothing else
// in the statement that reads the outbox, so no planner (with or without
// statistics) can drive the claim from another table and read every row of an
// integration (measured: with an EXISTS on Integration in the same query,
// PostgreSQL without statistics read all of them and sorted). Whether the
// integration is still active comes back with the row; the worker holds the
// rows of one that is not. The claimed ids reach the UPDATE as an array, which
// is looked up by primary key (a join there was planned as a full scan without
// statistics). SKIP LOCKED lets several workers claim side by side.
const CLAIM_POSTGRES = `
WITH c AS MATERIALIZED (
  SELECT o."id" FROM "OutboxMessage" o
  WHERE o."dueAt" <= $3::timestamp
  ORDER BY o."dueAt" LIMIT $4
  FOR UPDATE SKIP LOCKED)
UPDATE "OutboxMessage" m SET "leaseOwner" = $1, "dueAt" = $2::timestamp
WHERE m."id" = ANY(ARRAY(SELECT c."id" FROM c))
RETURNING m."id", m."integrationId", m."threadKey", m."uuid", m."attempts", m."createdAt",
  (SELECT e."payload" FROM "OutboxEvent" e WHERE e."id" = m."eventId") AS "payload",
  (SELECT i."status" FROM "Integration" i WHERE i."id" = m."integrationId") AS "integrationStatus"`;

// SQLite has one writer, so the statement is atomic on its own; RETURNING
// may not name other tables, but its scalar subqueries may.
const CLAIM_SQLITE = `
UPDATE "OutboxMessage" SET "leaseOwner" = ?, "dueAt" = ?
WHERE "id" IN (SELECT o."id" FROM "OutboxMessage" o WHERE o."dueAt" <= ? ORDER BY o."dueAt" LIMIT ?)
RETURNING "id", "integrationId", "threadKey", "uuid", "attempts", "createdAt",
  (SELECT e."payload" FROM "OutboxEvent" e WHERE e."id" = "OutboxMessage"."eventId") AS "payload",
  (SELECT i."status" FROM "Integration" i WHERE i."id" = "OutboxMessage"."integrationId") AS "integrationStatus"`;
