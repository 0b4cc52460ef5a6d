// SQLite's WAL is copied into the database file by a thread of its own
// (src/db/sqlite-checkpointer.ts), never inside one of the app's commits,
// where it held the event loop for milliseconds at a time. Always on a SQLite
// file of its own, whatever TEST_DATABASE says: it is about SQLite only.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrator.ts";
import { createDatabase, type Database } from "../../src/db/prisma-client.ts";
import { until } from "../support/tracker.ts";

let dir: string;
let file: string;
let db: Database;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tracker-wal-"));
  file = path.join(dir, "app.db");
  await migrateDatabase(`file:${file}`);
  db = createDatabase(`file:${file}`);
  await db.$connect();
});
afterEach(async () => {
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);

/** A few hundred KiB of writes: well under the 1,000 pages after which a commit would checkpoint by itself. */
async function write() {
  for (let i = 0; i < 20; i++) {
    await db.outboxEvent.createMany({ data: Array.from({ length: 50 }, () => ({ projectId: "p", threadKey: "t", kind: "issue.opened", payload: "x".repeat(300) })) });
  }
}

describe("WAL checkpoints on a thread of their own", () => {
  it("when the app writes, its own commits leave the WAL alone and the thread copies it into the database file within seconds", async () => {
    const setting = await db.$queryRawUnsafe<{ wal_autocheckpoint: bigint }[]>("PRAGMA wal_autocheckpoint");
    expect(Number(setting[0]?.wal_autocheckpoint)).toBe(0);
    const before = size(file);
    await write();
    expect(size(`${file}-wal`)).toBeGreaterThan(100_000);
    await until(async () => size(file) > before + 100_000, 5_000, "the checkpoint thread to copy the WAL into the database file");
    expect(await db.outboxEvent.count()).toBe(1_000);
  });

  it("when the client disconnects and connects again, a new thread goes on checkpointing", async () => {
    await db.$disconnect();
    await db.$connect();
    const before = size(file);
    await write();
    await until(async () => size(file) > before + 100_000, 5_000, "the new checkpoint thread to copy the WAL");
  });

  it("when the app has committed without a pause for seconds, the WAL file is emptied once the commits stop, and every row is in the database", async () => {
    // The WAL file kept the size it had grown to (gigabytes after a long drain).
    let rows = 0;
    const until_ = Date.now() + 3_000;
    while (Date.now() < until_) {
      await db.outboxEvent.createMany({ data: Array.from({ length: 50 }, () => ({ projectId: "p", threadKey: "t", kind: "issue.opened", payload: "x".repeat(2_000) })) });
      rows += 50;
    }
    expect(size(`${file}-wal`)).toBeGreaterThan(4_000_000);
    await until(async () => size(`${file}-wal`) === 0, 6_000, "the WAL file to be emptied once the commits stopped");
    expect(await db.outboxEvent.count()).toBe(rows);
  });
});
