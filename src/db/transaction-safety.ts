// Makes a failed COMMIT or ROLLBACK end its transaction for good.
//
// Prisma 6.19's JS engine closes an interactive transaction by sending COMMIT
// (or ROLLBACK) through the transaction and only then calling the adapter's
// commit()/rollback(), which is what releases the transaction's hold: the
// better-sqlite3 adapter's one-transaction-at-a-time mutex, the pg adapter's
// pooled connection. When the statement itself fails (a full disk makes SQLite's
// COMMIT fail with SQLITE_FULL; a lost connection fails PostgreSQL's), the hold
// was never released: on SQLite every later transaction, the session store's
// included, waited forever, and only a restart helped. Here a failed COMMIT is
// rolled back (SQLite may keep the transaction open after SQLITE_FULL or
// SQLITE_BUSY), the hold is always released, and the COMMIT's error goes on to
// the caller, so the request fails once and the next one starts clean.
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";

const ROLLBACK: SqlQuery = { sql: "ROLLBACK", args: [], argTypes: [] };

function isStatement(query: SqlQuery, word: "COMMIT" | "ROLLBACK"): boolean {
  return query.sql.trim().toUpperCase() === word;
}

function safeTransaction(tx: Transaction): Transaction {
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await tx.rollback();
  };
  return {
    provider: tx.provider,
    adapterName: tx.adapterName,
    options: tx.options,
    queryRaw: (query) => tx.queryRaw(query),
    async executeRaw(query) {
      if (isStatement(query, "COMMIT")) {
        try {
          return await tx.executeRaw(query);
        } catch (err) {
          // Whatever state the failed COMMIT left, nothing of it may stay.
          await tx.executeRaw(ROLLBACK).catch(() => undefined);
          await release();
          throw err;
        }
      }
      if (isStatement(query, "ROLLBACK")) {
        try {
          return await tx.executeRaw(query);
        } catch {
          // The transaction is already gone (SQLite rolled it back itself, or the
          // connection died with it): nothing was committed, which is all a
          // rollback promises. Release it and let the caller's own error stand.
          await release();
          return 0;
        }
      }
      return tx.executeRaw(query);
    },
    async commit() {
      if (released) return;
      released = true;
      await tx.commit();
    },
    rollback: release,
  };
}

function safeAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      if (property === "startTransaction") {
        return async (...args: Parameters<SqlDriverAdapter["startTransaction"]>) => safeTransaction(await target.startTransaction(...args));
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function withSafeTransactions<F extends SqlDriverAdapterFactory>(factory: F): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => safeAdapter(await factory.connect()),
  };
}
