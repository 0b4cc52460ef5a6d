// Every committed migration, applied by the start-up runner to a fresh database
// of each kind, must give exactly the database the schema describes: Prisma's
// own DDL for the schema (`migrate diff --from-empty`) applied to a second fresh
// database is the reference, and the two catalogs are compared. What Prisma's
// schema can't express (a partial index) is restated in
// prisma/<provider>/beyond-schema.sql and applied to the reference after it.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase, readMigrations } from "../../src/db/migrator.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Prisma's DDL for the whole schema of one provider. */
function schemaDdl(kind: "sqlite" | "postgresql", databaseUrl: string): string {
  return execFileSync(process.execPath, ["scripts/prisma.mjs", "migrate", "diff", "--from-empty", "--to-schema-datamodel", `prisma/${kind}/schema.prisma`, "--script"], {
    cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
  });
}

/** What the migrations build beyond the schema, restated for the reference. */
function beyondSchema(kind: "sqlite" | "postgresql"): string {
  return fs.readFileSync(path.join(ROOT, `prisma/${kind}/beyond-schema.sql`), "utf8");
}

describe("SQLite migrations", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function catalog(file: string) {
    const db = new Sqlite(file, { readonly: true });
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
    const result = Object.fromEntries(tables.map((t) => [t, {
      // Column position is left out: a column added later sits at the end, which no query notices.
      columns: (db.pragma(`table_info("${t}")`) as { cid?: number; name: string }[]).map(({ cid: _cid, ...c }) => c).sort((a, b) => a.name.localeCompare(b.name)),
      indexes: (db.pragma(`index_list("${t}")`) as { name: string; unique: number; origin: string }[])
        .map((i) => ({ ...i, seq: undefined, columns: db.pragma(`index_info("${i.name}")`) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      foreignKeys: db.pragma(`foreign_key_list("${t}")`),
    }]));
    db.close();
    return result;
  }

  it("when every migration is applied to a fresh database, it matches the schema exactly", async () => {
    const migrated = path.join(dir, "migrated.db");
    expect(await migrateDatabase(`file:${migrated}`)).toEqual(readMigrations("sqlite").map((m) => m.name));

    const reference = path.join(dir, "reference.db");
    const db = new Sqlite(reference);
    db.exec(schemaDdl("sqlite", `file:${path.join(dir, "scratch.db")}`));
    db.exec(beyondSchema("sqlite"));
    db.close();

    const actual = catalog(migrated);
    expect(Object.keys(actual).length).toBeGreaterThan(3);
    expect(actual).toEqual(catalog(reference));
  });

  it("when the runner starts again, nothing is applied twice and the history holds each migration's checksum", async () => {
    const file = path.join(dir, "twice.db");
    await migrateDatabase(`file:${file}`);
    expect(await migrateDatabase(`file:${file}`)).toEqual([]);
    const db = new Sqlite(file, { readonly: true });
    const history = db.prepare(`SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`).all();
    db.close();
    expect(history).toEqual(readMigrations("sqlite").map((m) => ({ migration_name: m.name, checksum: m.checksum })));
  });

  it("when a migration already applied was edited afterwards, start-up refuses", async () => {
    const file = path.join(dir, "edited.db");
    await migrateDatabase(`file:${file}`);
    const db = new Sqlite(file);
    db.prepare(`UPDATE "_prisma_migrations" SET checksum = 'x' WHERE migration_name = ?`).run(readMigrations("sqlite")[0]!.name);
    db.close();
    await expect(migrateDatabase(`file:${file}`)).rejects.toThrow(/edited after it was applied/);
  });
});

const pgUp = await postgresAvailable();

describe.skipIf(!pgUp)("PostgreSQL migrations", () => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => { for (const drop of drops) await drop(); });

  async function scratch() {
    const created = await createScratchDatabase("migrations");
    drops.push(created.drop);
    return created.url;
  }

  async function catalog(url: string) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const columns = await client.query(`SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`);
      const indexes = await client.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`);
      const constraints = await client.query(`SELECT conrelid::regclass::text AS table_name, conname::text AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT IN ('_prisma_migrations', '"_prisma_migrations"') ORDER BY conname`);
      return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
    } finally {
      await client.end();
    }
  }

  it("when every migration is applied to a fresh database, it matches the schema exactly", { timeout: 60_000 }, async () => {
    const migrated = await scratch();
    expect(await migrateDatabase(migrated)).toEqual(readMigrations("postgresql").map((m) => m.name));

    const reference = await scratch();
    const client = new pg.Client({ connectionString: reference });
    await client.connect();
    await client.query(schemaDdl("postgresql", reference));
    await client.query(beyondSchema("postgresql"));
    await client.end();

    const actual = await catalog(migrated);
    expect(actual.columns.length).toBeGreaterThan(20);
    expect(actual).toEqual(await catalog(reference));
  });

  it("when two instances start at once, the migrations are applied once", async () => {
    const url = await scratch();
    const [a, b] = await Promise.all([migrateDatabase(url), migrateDatabase(url)]);
    expect([...a, ...b].sort()).toEqual(readMigrations("postgresql").map((m) => m.name).sort());
  });
});

describe("the PostgreSQL schema", () => {
  it("when the SQLite schema changes, the derived PostgreSQL schema is kept in step", () => {
    expect(() => execFileSync(process.execPath, ["scripts/derive-postgres-schema.mjs", "--check"], { cwd: ROOT, stdio: "pipe" })).not.toThrow();
  });
});
