// What the app does when its SQLite database can't take a write: a full disk,
// a lock another process holds, a database file moved away. Each failing write
// gets a 503 page (or JSON), leaves nothing half-written, /readyz says so while
// it lasts, and the app carries on by itself once the cause is gone.
// SQLite-only by nature (its file, filesystem and lock): skipped in the
// PostgreSQL pass, which has its own faults in postgres-faults.test.ts.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import Sqlite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { notOnSqlite, startTestApp, type TestApp } from "../support/app.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { mountSmallFilesystem, type SmallFilesystem } from "../support/small-filesystem.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

// A request that never comes back fails the test rather than hanging it.
const ANSWER_WITHIN_MS = 10_000;

let fd: LocalFlowdock | undefined;
let app: TestApp | undefined;
let small: SmallFilesystem | null = null;

afterEach(async () => {
  await app?.close();
  await fd?.close();
  small?.unmount();
  app = undefined;
  fd = undefined;
  small = null;
});

const probe = notOnSqlite ? null : mountSmallFilesystem(64);
probe?.unmount();

// `chattr +i` makes a file refuse writes even through descriptors already open,
// as a filesystem remounted read-only would; it needs root and ext2/3/4.
function canMakeImmutable(): boolean {
  const file = path.join(os.tmpdir(), `immutable-probe-${process.pid}`);
  try {
    fs.writeFileSync(file, "x");
    execFileSync("chattr", ["+i", file], { stdio: "pipe" });
    execFileSync("chattr", ["-i", file], { stdio: "pipe" });
    return true;
  } catch {
    console.warn("\n*** Read-only database test SKIPPED: chattr +i is not available here (needs root on ext4). ***\n");
    return false;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function counts(a: TestApp) {
  return { issues: await a.db.issue.count(), outbox: await a.db.outboxEvent.count() };
}

describe.skipIf(probe === null || notOnSqlite)("when the disk holding the SQLite database is full", () => {
  it("each write gets a 503 and changes nothing, pages and the session keep working, /readyz says why, and once space is freed everything works again without a restart", { timeout: 60_000 }, async () => {
    small = mountSmallFilesystem(2048)!;
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url, { DATABASE_URL: `file:${small.dir}/app.db` });
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const issuesPath = `/projects/${demo.project.id}/issues`;
    const before = await counts(app);
    const bigIssue = { _csrf: demo.csrf, title: "Written on a full disk", description: "x".repeat(10_000) };

    small.fill();
    const first = await demo.agent.post(issuesPath).type("form").send(bigIssue).timeout(ANSWER_WITHIN_MS);
    expect(first.status).toBe(503);
    expect(first.text).toContain("<h1");
    expect(first.text).toMatch(/try again/i);
    expect(first.headers["retry-after"]).toBeDefined();
    // The write that used to be left waiting forever.
    const second = await demo.agent.post(issuesPath).set("accept", "application/json").type("form").send(bigIssue).timeout(ANSWER_WITHIN_MS);
    expect(second.status).toBe(503);
    expect(second.body.error.code).toBe("DATABASE_UNAVAILABLE");
    // Reading pages with the session still works.
    expect((await demo.agent.get("/projects").timeout(ANSWER_WITHIN_MS)).status).toBe(200);
    const notReady = await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS);
    expect(notReady.status).toBe(503);
    expect(notReady.body.reason).toMatch(/full/i);
    await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS).expect(503);
    expect(await counts(app)).toEqual(before);

    small.free();
    await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS).expect(200);
    await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS).expect(200);
    // Each change of readiness is logged once, however often the balancer asks.
    const log = app.logText();
    expect(log.match(/"msg":"not ready"/g)).toHaveLength(1);
    expect(log.match(/"msg":"ready again"/g)).toHaveLength(1);
    const after = await demo.agent.post(issuesPath).type("form").redirects(0).send(bigIssue).timeout(ANSWER_WITHIN_MS);
    expect(after.status).toBe(303);
    expect(await counts(app)).toEqual({ issues: before.issues + 1, outbox: before.outbox + 1 });
    // A new sign-in writes a new session.
    const again = await signedIn(app);
    expect((await again.agent.get("/projects")).status).toBe(200);
  });
});

describe.skipIf(notOnSqlite)("when the SQLite database can't be written for a while", () => {
  it("while another process holds the write lock, a write gets a 503 and nothing is written; after the lock is released, writes work again", { timeout: 60_000 }, async () => {
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url);
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const issuesPath = `/projects/${demo.project.id}/issues`;
    const before = await counts(app);

    const other = new Sqlite(app.dbFile!);
    try {
      other.exec("BEGIN EXCLUSIVE");
      const locked = await demo.agent.post(issuesPath).set("accept", "application/json").type("form").send({ _csrf: demo.csrf, title: "While locked" }).timeout(ANSWER_WITHIN_MS * 2);
      expect(locked.status).toBe(503);
      expect(locked.body.error.code).toBe("DATABASE_UNAVAILABLE");
      const notReady = await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS);
      expect(notReady.status).toBe(503);
      expect(notReady.body.reason).toMatch(/locked|busy/i);
      other.exec("ROLLBACK");
    } finally {
      other.close();
    }
    expect(await counts(app)).toEqual(before);
    await request(app.app).get("/readyz").expect(200);
    const res = await demo.agent.post(issuesPath).type("form").redirects(0).send({ _csrf: demo.csrf, title: "After the lock" });
    expect(res.status).toBe(303);
    expect(await counts(app)).toEqual({ issues: before.issues + 1, outbox: before.outbox + 1 });
  });

  it.skipIf(!canMakeImmutable())("when the filesystem refuses writes to the database files (read-only), a write gets a 503 page; once it takes them again, writes work again", { timeout: 60_000 }, async () => {
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url);
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const issuesPath = `/projects/${demo.project.id}/issues`;
    const before = await counts(app);
    const dbFile = app.dbFile!;
    const files = [dbFile, `${dbFile}-wal`].filter((f) => fs.existsSync(f));

    for (const f of files) execFileSync("chattr", ["+i", f]);
    try {
      const res = await demo.agent.post(issuesPath).type("form").send({ _csrf: demo.csrf, title: "Nowhere to go" }).timeout(ANSWER_WITHIN_MS);
      expect(res.status).toBe(503);
      expect(res.text).toMatch(/try again/i);
      const notReady = await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS);
      expect(notReady.status).toBe(503);
      expect(notReady.body.reason).toMatch(/read-only/i);
    } finally {
      for (const f of files) execFileSync("chattr", ["-i", f]);
    }

    expect(await counts(app)).toEqual(before);
    await request(app.app).get("/readyz").expect(200);
    const ok = await demo.agent.post(issuesPath).type("form").redirects(0).send({ _csrf: demo.csrf, title: "Back home" });
    expect(ok.status).toBe(303);
    expect(await counts(app)).toEqual({ issues: before.issues + 1, outbox: before.outbox + 1 });
  });
});
