// Builds the Prisma client for the configured database. Each database has its
// own generated client (a Prisma schema has one provider); both expose the same
// models, so the rest of the app uses the SQLite client's types for either.
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaClient as SqliteClient, type Prisma } from "./generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.ts";
import { databaseKind, sqliteFilePath } from "./database-url.ts";
import { withSafeTransactions } from "./transaction-safety.ts";
import { directSqlFor, type DirectSql } from "./direct-sql.ts";
import { startCheckpointer } from "./sqlite-checkpointer.ts";

// A pool that can't reach its server gives up instead of queueing requests forever.
const CONNECT_TIMEOUT_MS = 5_000;

export type Database = SqliteClient;

// What each client connected with: its adapter, and the direct access over it
// (made on first use, again after a reconnect).
interface Connection {
  adapter?: SqlDriverAdapter;
  direct?: DirectSql;
}
const connections = new WeakMap<object, Connection>();

function remembered(connection: Connection, factory: SqlDriverAdapterFactory, onConnect?: (adapter: SqlDriverAdapter) => void): SqlDriverAdapterFactory {
  return {
    ...factory, provider: factory.provider, adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      onConnect?.(adapter);
      Object.assign(connection, { adapter, direct: undefined });
      return adapter;
    },
  };
}

// A file database checkpoints its WAL from a thread of its own (sqlite-checkpointer.ts).
function checkpointElsewhere(file: string) {
  return (adapter: SqlDriverAdapter) => {
    if (file === ":memory:") return;
    const client = (adapter as unknown as { client: { pragma(sql: string): unknown; open: boolean } }).client;
    client.pragma("wal_autocheckpoint = 0");
    const checkpointer = startCheckpointer(file, () => {
      if (client.open) client.pragma("wal_autocheckpoint = 1000"); // SQLite's default
    });
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await checkpointer.stop();
      await dispose();
    };
  };
}

export function createDatabase(url: string): Database {
  const connection: Connection = {};
  let db: Database;
  if (databaseKind(url) === "postgresql") {
    db = new PostgresClient({ adapter: remembered(connection, withSafeTransactions(new PrismaPg({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS }))) }) as unknown as Database;
  } else {
    const file = sqliteFilePath(url);
    if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
    db = new SqliteClient({ adapter: remembered(connection, withSafeTransactions(new PrismaBetterSQLite3({ url: file })), checkpointElsewhere(file)) });
  }
  connections.set(db, connection);
  return db;
}

/** The driver under `db`'s connection, for the delivery hot path (see direct-sql.ts). */
export async function directSql(db: Database): Promise<DirectSql> {
  const connection = connections.get(db);
  if (!connection) throw new Error("directSql needs a client made by createDatabase");
  if (!connection.adapter) await db.$connect();
  return (connection.direct ??= directSqlFor(connection.adapter!));
}

/** The client inside `db.$transaction(async (tx) => …)`: writes that commit together. */
export type Tx = Prisma.TransactionClient;
