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

  it("when the outbox marks arrive, a failed row and the head of a thread held back are marked, and due heads and queued rows are left as they were", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-marks-"));
    const file = path.join(dir, "app.db");
    const all = readMigrations("sqlite");
    const at = all.findIndex((m) => m.name.endsWith("_outbox_marks"));
    expect(at).toBeGreaterThan(0);
    const db = new Sqlite(file);
    db.exec(`CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" DATETIME, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    for (const m of all.slice(0, at)) {
      db.exec(m.sql);
      db.prepare(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES (?, ?, ?)`).run(m.name, m.checksum, m.name);
    }
    // A row in each table the outbox needs, its required columns filled in.
    const insert = (table: string, values: Record<string, unknown>) => {
      const required = (db.pragma(`table_info("${table}")`) as { name: string; notnull: number; dflt_value: unknown; pk: number }[])
        .filter((c) => c.notnull && c.dflt_value === null && !(c.pk && table === "OutboxMessage"));
      const row = { ...Object.fromEntries(required.map((c) => [c.name, `${c.name}-x`])), ...values };
      db.prepare(`INSERT INTO "${table}" (${Object.keys(row).map((k) => `"${k}"`).join(", ")}) VALUES (${Object.keys(row).map(() => "?").join(", ")})`).run(...Object.values(row));
    };
    insert("User", { id: "u1", email: "a@example.com" });
    insert("Project", { id: "p1" });
    insert("Integration", { id: "i1", projectId: "p1", createdByUserId: "u1", sourceId: 1 });
    for (let id = 1; id <= 7; id++) insert("OutboxEvent", { id, projectId: "p1", threadKey: "t", kind: "issue.commented", payload: "{}", fannedOut: 1 });
    const message = (id: number, threadKey: string, status: string, dueAt: string | null) =>
      insert("OutboxMessage", { id, eventId: id, integrationId: "i1", threadKey, uuid: `u${id}`, status, dueAt });
    const due = "2026-11-23T08:00:00.000+00:00";
    message(1, "failed", "sent", null);
    message(2, "failed", "dead", null);
    message(3, "failed", "pending", null); // behind the failed row
    message(4, "due", "pending", due);
    message(5, "due", "pending", null); // behind the due head
    message(6, "held", "pending", null); // a head held back
    message(7, "held", "pending", null);
    db.close();

    expect(await migrateDatabase(`file:${file}`)).toEqual(all.slice(at).map((m) => m.name));
    const upgraded = new Sqlite(file, { readonly: true });
    expect(upgraded.prepare(`SELECT "id", "dueAt" FROM "OutboxMessage" ORDER BY "id"`).all()).toEqual([
      { id: 1, dueAt: null }, { id: 2, dueAt: "9999-12-31T00:00:00.000+00:00" }, { id: 3, dueAt: null },
      { id: 4, dueAt: due }, { id: 5, dueAt: null }, { id: 6, dueAt: "9999-12-30T00:00:00.000+00:00" }, { id: 7, dueAt: null },
    ]);
    upgraded.close();
  });
});
