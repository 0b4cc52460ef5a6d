// The database's own driver, for the few statements the delivery worker runs
// for every event (claim, acknowledge, fan-out) and the two every page runs
// (its session, its signed-in person). Prisma stays the way to the database
// everywhere else; here its per-statement work (building each raw query,
// converting every argument and row, re-preparing the statement on SQLite)
// cost more CPU than posting the event, and 0.6–0.8 ms of a page's 16 ms per
// lookup (profiled: see README, "Benchmarks"). Statements run prepared and
// cached, on Prisma's own connection (SQLite) or pool (PostgreSQL), so nothing
// else changes: the same file handle and one-transaction-at-a-time lock on
// SQLite, the same pool on PostgreSQL. (Prisma's own queries outside a
// transaction skip that lock; ours wait for it, so they never run inside
// another request's open transaction.)
//
// A transaction's body is a generator that yields statements and receives their
// results. On SQLite the driver runs it synchronously between BEGIN and COMMIT,
// so the write lock is never held across the event loop (where the app's own
// requests wait for it); on PostgreSQL each statement is an awaited round trip.
// One body thus serves both databases.
import type BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { SqlDriverAdapter, Transaction } from "@prisma/driver-adapter-utils";
import type { DatabaseKind } from "./database-url.ts";

export interface SqlStep {
  sql: string;
  params: unknown[];
}

export interface SqlResult {
  /** Rows of a query or of RETURNING; empty otherwise. */
  rows: Record<string, unknown>[];
  /** Rows changed by an INSERT, UPDATE or DELETE. */
  count: number;
}

export type SqlWork<T> = Generator<SqlStep, T, SqlResult>;

export interface DirectSql {
  kind: DatabaseKind;
  /** Runs the statements `work` yields in one transaction; a throw rolls it all back. */
  transaction<T>(work: () => SqlWork<T>): Promise<T>;
  /** One statement on its own. */
  run(step: SqlStep): Promise<SqlResult>;
}

/** How each database spells a statement's parameters. */
export interface SqlDialect {
  /** The placeholder of the n-th parameter (1-based): `?` or `$n`. */
  param(n: number): string;
  /** A timestamp argument, in the text the column holds (Prisma's format on SQLite). */
  timestamp(d: Date): string;
  /** What follows a timestamp's placeholder: a cast on PostgreSQL. */
  stamp: string;
}

export function sqlDialect(kind: DatabaseKind): SqlDialect {
  const pg = kind === "postgresql";
  return {
    param: (n) => (pg ? `$${n}` : "?"),
    // PostgreSQL's `timestamp` holds UTC without a zone; SQLite compares
    // Prisma's ISO text, which ends in +00:00.
    timestamp: (d) => (pg ? d.toISOString().replace("T", " ").replace("Z", "") : d.toISOString().replace("Z", "+00:00")),
    stamp: pg ? "::timestamp" : "",
  };
}

// A bounded cache: statement texts vary only with the number of ids in them.
const MAX_PREPARED = 256;

function sqliteDirect(adapter: SqlDriverAdapter): DirectSql {
  const client = (adapter as unknown as { client: BetterSqlite3.Database }).client;
  const prepared = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let stmt = prepared.get(sql);
    if (!stmt) {
      if (prepared.size >= MAX_PREPARED) prepared.clear();
      // The adapter reads integers as BigInt; ours are ids and counts.
      stmt = client.prepare(sql).safeIntegers(false);
      prepared.set(sql, stmt);
    }
    return stmt;
  };
  const execute = ({ sql, params }: SqlStep): SqlResult => {
    const stmt = prepare(sql);
    if (stmt.reader) return { rows: stmt.all(...params) as Record<string, unknown>[], count: 0 };
    return { rows: [], count: stmt.run(...params).changes };
  };
  // Through the adapter's startTransaction, which takes its lock and BEGINs:
  // no Prisma transaction can interleave with ours on the shared connection.
  const transaction: DirectSql["transaction"] = async (work) => {
    const tx: Transaction = await adapter.startTransaction();
    try {
      const body = work();
      let next = body.next();
      while (!next.done) next = body.next(execute(next.value));
      client.prepare("COMMIT").run();
      return next.value;
    } catch (err) {
      // SQLite may have ended it already (e.g. after SQLITE_FULL); the first error is the one that counts.
      try { if (client.inTransaction) client.prepare("ROLLBACK").run(); } catch { /* see above */ }
      throw err;
    } finally {
      await tx.commit(); // releases the adapter's lock; the SQL above already ended the transaction
    }
  };
  return {
    kind: "sqlite",
    transaction,
    // Also under the adapter's lock: on the shared connection, a statement run
    // while a Prisma transaction is open would otherwise become part of it.
    run(step) {
      return transaction(function* (): SqlWork<SqlResult> {
        return yield step;
      });
    },
  };
}

// PostgreSQL's `timestamp` (no time zone) holds UTC here, as Prisma writes it;
// pg would read it as local time.
const TIMESTAMP = 1114;
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP ? (v: string) => new Date(`${v.replace(" ", "T")}Z`) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

function postgresDirect(adapter: SqlDriverAdapter): DirectSql {
  const pool = (adapter as unknown as { underlyingDriver(): pg.Pool }).underlyingDriver();
  const names = new Map<string, string>();
  // A named statement is prepared once per connection and reused after. The
  // server keeps each for the connection's life, so once the cache is full,
  // further texts (rare shapes of a fan-out) run unnamed rather than pile up.
  const config = ({ sql, params }: SqlStep): pg.QueryConfig => {
    let name = names.get(sql);
    if (!name && names.size < MAX_PREPARED) names.set(sql, (name = `direct_${names.size}`));
    return { ...(name ? { name } : {}), text: sql, values: params, types: PG_TYPES };
  };
  const execute = async (client: pg.PoolClient | pg.Pool, step: SqlStep): Promise<SqlResult> => {
    const result = await client.query(config(step));
    return { rows: result.rows as Record<string, unknown>[], count: result.rowCount ?? 0 };
  };
  return {
    kind: "postgresql",
    async transaction(work) {
      const client = await pool.connect();
      // A connection that dies while checked out (server shutdown, DROP DATABASE
      // … WITH (FORCE)) emits "error"; unheard, that would end the process. The
      // query in flight fails with it anyway, which is what reaches the caller.
      let broken: unknown;
      const onError = (err: Error) => (broken = err);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const body = work();
        let next = body.next();
        while (!next.done) next = body.next(await execute(client, next.value));
        await client.query("COMMIT");
        return next.value;
      } catch (err) {
        broken ??= await client.query("ROLLBACK").then(() => undefined, (e: unknown) => e);
        throw err;
      } finally {
        client.removeListener("error", onError);
        // A connection that failed, or whose ROLLBACK failed, is not given back to the pool.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    run: (step) => execute(pool, step),
  };
}

/** Direct access over the adapter Prisma connected with. */
export function directSqlFor(adapter: SqlDriverAdapter): DirectSql {
  return adapter.provider === "postgres" ? postgresDirect(adapter) : sqliteDirect(adapter);
}
