// Builds the Prisma client for the configured database. Each database has its
// own generated client (a Prisma schema has one provider); both expose the same
// models, so the rest of the app uses the SQLite client's types for either.
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient, type Prisma } from "./generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.ts";
import { databaseKind, sqliteFilePath } from "./database-url.ts";
import { withSafeTransactions } from "./transaction-safety.ts";

// A pool that can't reach its server gives up instead of queueing requests forever.
const CONNECT_TIMEOUT_MS = 5_000;

export type Database = SqliteClient;

export function createDatabase(url: string): Database {
  if (databaseKind(url) === "postgresql") {
    return new PostgresClient({ adapter: withSafeTransactions(new PrismaPg({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })) }) as unknown as Database;
  }
  const file = sqliteFilePath(url);
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  return new SqliteClient({ adapter: withSafeTransactions(new PrismaBetterSQLite3({ url: file })) });
}

/** The client inside `db.$transaction(async (tx) => …)`: writes that commit together. */
export type Tx = Prisma.TransactionClient;
