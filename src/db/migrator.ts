// Applies the committed Prisma migrations at start-up.
//
// Why not `prisma migrate deploy`: with the JavaScript schema engine (the only one
// that works offline, see ../shared/prisma-offline.md) it fails on PostgreSQL
// (`Column type 'name' could not be deserialized`) and its PostgreSQL driver splits
// scripts on every `;`. This runner executes each migration.sql whole, inside one
// transaction, and records it in `_prisma_migrations` exactly as Prisma does
// (SHA-256 checksum), so the Prisma CLI still sees the same history.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { databaseKind, sqliteFilePath, type DatabaseKind } from "./database-url.ts";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function migrationsDir(kind: DatabaseKind): string {
  return path.resolve(import.meta.dirname, "../../prisma", kind, "migrations");
}

export function readMigrations(kind: DatabaseKind): Migration[] {
  const dir = migrationsDir(kind);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
    });
}

const HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

function checkHistory(applied: Map<string, string>, migrations: Migration[]): Migration[] {
  for (const [name, checksum] of applied) {
    const known = migrations.find((m) => m.name === name);
    if (!known) throw new Error(`Database has migration ${name}, which this code does not know: is the code older than the database?`);
    if (known.checksum !== checksum) throw new Error(`Migration ${name} was edited after it was applied; write a new migration instead`);
  }
  return migrations.filter((m) => !applied.has(m.name));
}

function migrateSqlite(url: string, migrations: Migration[]): string[] {
  const file = sqliteFilePath(url);
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Sqlite(file);
  try {
    db.pragma("journal_mode = WAL");
    // Prisma rewrites a changed SQLite table as copy, DROP, rename. With foreign
    // keys enforced, that DROP would cascade into every child row, and the
    // migration's own `PRAGMA foreign_keys=OFF` is ignored inside a transaction.
    // So enforcement is off while migrating and the result is checked instead.
    db.pragma("foreign_keys = OFF");
    db.exec(HISTORY_TABLE.replace(/TIMESTAMPTZ/g, "DATETIME").replace("now()", "CURRENT_TIMESTAMP"));
    // BEGIN IMMEDIATE takes the write lock first, so two processes never both apply.
    const run = db.transaction(() => {
      const rows = db.prepare(`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`).all() as { migration_name: string; checksum: string }[];
      const pending = checkHistory(new Map(rows.map((r) => [r.migration_name, r.checksum])), migrations);
      for (const m of pending) {
        db.exec(m.sql);
        const broken = db.pragma("foreign_key_check") as unknown[];
        if (broken.length > 0) throw new Error(`Migration ${m.name} leaves ${broken.length} rows with broken foreign keys; nothing was applied`);
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (?, ?, CURRENT_TIMESTAMP, ?, 1)`,
        ).run(crypto.randomUUID(), m.checksum, m.name);
      }
      return pending.map((m) => m.name);
    });
    return run.immediate();
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One instance migrates; others wait here and then find nothing pending.
    await client.query("SELECT pg_advisory_lock(hashtext('_prisma_migrations'))");
    await client.query(HISTORY_TABLE);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const pending = checkHistory(new Map(rows.map((r) => [r.migration_name, r.checksum])), migrations);
    for (const m of pending) {
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
          [crypto.randomUUID(), m.checksum, m.name],
        );
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new Error(`Migration ${m.name} failed and was rolled back: ${(err as Error).message}`, { cause: err });
      }
    }
    return pending.map((m) => m.name);
  } finally {
    await client.end();
  }
}

/** Applies every pending migration; answers the names it applied. */
export async function migrateDatabase(url: string): Promise<string[]> {
  const kind = databaseKind(url);
  const migrations = readMigrations(kind);
  return kind === "postgresql" ? migratePostgres(url, migrations) : migrateSqlite(url, migrations);
}
