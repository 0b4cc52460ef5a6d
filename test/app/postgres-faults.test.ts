// What the app does when PostgreSQL goes away or stops taking writes: a 503
// page, nothing half-written, /readyz says why while it lasts, and the app
// recovers by itself (new connections) once the server is back.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { admin, createScratchDatabase, postgresAvailable, POSTGRES_ADMIN_URL } from "../support/postgres.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const available = await postgresAvailable();
const ANSWER_WITHIN_MS = 10_000;

let fd: LocalFlowdock;
let app: TestApp;
let proxy: TcpProxy;
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

const asAdmin = (sql: string) => admin((c) => c.query(sql));

async function counts() {
  return { issues: await app.db.issue.count(), outbox: await app.db.outboxEvent.count() };
}

describe.skipIf(!available)("when PostgreSQL is lost or read-only", () => {
  beforeEach(async () => {
    scratch = await createScratchDatabase();
    const server = new URL(POSTGRES_ADMIN_URL);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    const viaProxy = new URL(scratch.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url, { DATABASE_URL: viaProxy.toString() });
    await connectDemoProject(app, fd.url);
  });
  afterEach(async () => {
    proxy.restore();
    await app?.close();
    await fd?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  it("when the connection to PostgreSQL is lost, writes and pages get a 503, /readyz says the server can't be reached, and once it answers again everything works without a restart", { timeout: 60_000 }, async () => {
    const demo = await signedIn(app);
    const issuesPath = `/projects/${demo.project.id}/issues`;
    const before = await counts();

    proxy.cut();
    const write = await demo.agent.post(issuesPath).set("accept", "application/json").type("form").send({ _csrf: demo.csrf, title: "Lost" }).timeout(ANSWER_WITHIN_MS);
    expect(write.status).toBe(503);
    expect(write.body.error.code).toBe("DATABASE_UNAVAILABLE");
    const page = await demo.agent.get("/projects").timeout(ANSWER_WITHIN_MS);
    expect(page.status).toBe(503);
    expect(page.text).toMatch(/try again/i);
    const notReady = await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS);
    expect(notReady.status).toBe(503);
    expect(notReady.body.reason).toMatch(/can't be reached/);

    proxy.restore();
    await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS).expect(200);
    expect(await counts()).toEqual(before);
    const ok = await demo.agent.post(issuesPath).type("form").redirects(0).send({ _csrf: demo.csrf, title: "Found again" }).timeout(ANSWER_WITHIN_MS);
    expect(ok.status).toBe(303);
    expect(await counts()).toEqual({ issues: before.issues + 1, outbox: before.outbox + 1 });
  });

  it("when PostgreSQL turns read-only (as a standby does), a write gets a 503 and changes nothing, /readyz says so, and writes work again once it takes them", { timeout: 60_000 }, async () => {
    const demo = await signedIn(app);
    const issuesPath = `/projects/${demo.project.id}/issues`;
    const name = new URL(scratch.url).pathname.slice(1);
    const before = await counts();
    const reconnectAll = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`;

    await asAdmin(`ALTER DATABASE "${name}" SET default_transaction_read_only = on`);
    await asAdmin(reconnectAll);
    // The first query after the server dropped a pooled connection may meet the dead one.
    await request(app.app).get("/readyz");
    const write = await demo.agent.post(issuesPath).type("form").send({ _csrf: demo.csrf, title: "Read-only" }).timeout(ANSWER_WITHIN_MS);
    expect(write.status).toBe(503);
    expect(write.text).toMatch(/read-only/);
    const notReady = await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS);
    expect(notReady.status).toBe(503);
    expect(notReady.body.reason).toMatch(/read-only/);

    await asAdmin(`ALTER DATABASE "${name}" RESET default_transaction_read_only`);
    await asAdmin(reconnectAll);
    await request(app.app).get("/readyz");
    await request(app.app).get("/readyz").timeout(ANSWER_WITHIN_MS).expect(200);
    expect(await counts()).toEqual(before);
    const ok = await demo.agent.post(issuesPath).type("form").redirects(0).send({ _csrf: demo.csrf, title: "Writable again" });
    expect(ok.status).toBe(303);
    expect(await counts()).toEqual({ issues: before.issues + 1, outbox: before.outbox + 1 });
  });
});
