// Upgrading a database that already holds data: every later migration must keep
// the rows (and their children) that earlier ones created.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Sqlite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { migrateDatabase, readMigrations } from "../../src/db/migrator.ts";

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("upgrading a SQLite database that holds data", () => {
  it("when a migration rewrites a parent table, its children are not cascaded away", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-data-"));
    const file = path.join(dir, "app.db");
    const [first, ...later] = readMigrations("sqlite");
    expect(later.length).toBeGreaterThan(0);

    // A database as the first release left it, with a user in a project.
    const db = new Sqlite(file);
    db.exec(first!.sql);
    db.exec(`CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" DATETIME, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    db.prepare(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('first', ?, ?)`).run(first!.checksum, first!.name);
    db.exec(`INSERT INTO "User" (id, email, name, passwordHash) VALUES ('u1', 'a@example.com', 'A', 'x');
             INSERT INTO "Project" (id, name) VALUES ('p1', 'Website');
             INSERT INTO "Membership" (userId, projectId, role) VALUES ('u1', 'p1', 'owner');`);
    db.close();

    expect(await migrateDatabase(`file:${file}`)).toEqual(later.map((m) => m.name));

    const upgraded = new Sqlite(file, { readonly: true });
    expect(upgraded.prepare(`SELECT userId, projectId, role FROM "Membership"`).all()).toEqual([{ userId: "u1", projectId: "p1", role: "owner" }]);
    expect(upgraded.prepare(`SELECT id, name FROM "Project"`).all()).toEqual([{ id: "p1", name: "Website" }]);
    expect(upgraded.pragma("foreign_key_check")).toEqual([]);
    upgraded.close();
  });
});
