// The delivery worker when the ground moves: its database goes away and comes
// back, a post outlasts the lease, a worker dies holding leases; and what it
// tells an observer about each attempt.
import { Writable } from "node:stream";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { exited, spawnWorker } from "../support/worker-process.ts";
import { createScratchDatabase, POSTGRES_ADMIN_URL, postgresAvailable } from "../support/postgres.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryOutcome, DeliveryWorker, DeliveryWorkerOptions } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock | undefined;
let app: TestApp | undefined;
const workers: DeliveryWorker[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
  if (fd) await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  await app?.close();
  await fd?.close();
  for (const c of cleanups.splice(0)) await c();
  app = undefined;
  fd = undefined;
});

function startWorker(overrides: Partial<DeliveryWorkerOptions> = {}, logLines?: string[]) {
  const sink = new Writable({ write(chunk, _enc, done) { logLines?.push(String(chunk)); done(); } });
  const worker = createDeliveryWorker(app!.config, app!.db, createLogger({ level: "info", name: "w" }, sink), { pollMs: 10, ...overrides });
  workers.push(worker);
  worker.start();
  return worker;
}

const pg_ = await postgresAvailable();

describe.skipIf(!pg_)("a worker whose database goes away", () => {
  it("when PostgreSQL refuses connections for a while, the worker says so once, backs off instead of retrying three times a second, says once that it is back, and delivers what was queued", { timeout: 60_000 }, async () => {
    const scratch = await createScratchDatabase("db_down");
    cleanups.push(scratch.drop);
    const name = new URL(scratch.url).pathname.slice(1);
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url, { DATABASE_URL: scratch.url });
    await connectDemoProject(app, fd.url);
    const lines: string[] = [];
    startWorker({ databaseRetry: { firstMs: 50, maxMs: 800 } }, lines);
    const said = (text: string) => lines.filter((l) => l.includes(text)).length;

    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      await until(async () => said("database unreachable") > 0, 10_000, "the worker to notice");
      await new Promise((r) => setTimeout(r, 3_000));
      expect(said("database unreachable")).toBe(1);
      // The delivery loop logs nothing else at error level while it lasts (it used to log an error per poll).
      expect(lines.filter((l) => { const line = JSON.parse(l) as { level: number; name: string }; return line.level >= 50 && line.name === "delivery"; })).toHaveLength(1);
    } finally {
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const demo = await signedIn(app);
    await demo.open({ title: "After the outage" });
    await until(async () => (await allMessages(fd!.url)).length === 1, 15_000, "the event to be delivered");
    expect(said("database reachable again")).toBe(1);
    expect(said("database unreachable")).toBe(1);
  });
});

describe("leases", () => {
  it("when a post takes longer than the lease, the worker keeps renewing it and a second worker never posts the message again", { timeout: 30_000 }, async () => {
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url, { FLOWDOCK_TIMEOUT_MS: "6000" });
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    for (let i = 0; i < 3; i++) await demo.open({ title: `Slow ${i}` });
    await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { latencyMs: 2_500 } });
    const sent: string[] = [];
    const onOutcome = (o: { outcome: DeliveryOutcome; integrationId: string }) => { if (o.outcome === "sent") sent.push(o.integrationId); };
    startWorker({ leaseMs: 1_000, onOutcome });
    await until(async () => (await app!.db.outboxMessage.count({ where: { leaseOwner: { not: null } } })) === 3, 10_000, "the first worker to claim all three");
    startWorker({ leaseMs: 1_000, onOutcome });
    await until(async () => (await app!.db.outboxMessage.count({ where: { status: "sent" } })) === 3, 20_000, "all three to be sent");
    expect(sent).toHaveLength(3);
  });

  it("when a worker is killed holding leases, another worker takes its deliveries over within seconds, not after a minute", { timeout: 60_000 }, async () => {
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url);
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    for (let i = 0; i < 4; i++) await demo.open({ title: `Issue ${i}` });
    await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { latencyMs: 3_000 } });
    // Default lease settings: what a deployment gets.
    const env = { DATABASE_URL: app.config.databaseUrl, FLOWDOCK_API_URL: fd.url };
    const first = spawnWorker(env);
    await until(async () => (await app!.db.outboxMessage.count({ where: { leaseOwner: { not: null } } })) === 4, 20_000, "the first worker to claim rows");
    first.kill("SIGKILL");
    await exited(first);
    await api(fd.url, "/_simulator/faults", { method: "DELETE" });
    const killedAt = Date.now();
    const second = spawnWorker(env);
    try {
      await until(async () => (await app!.db.outboxMessage.count({ where: { status: "sent" } })) === 4, 25_000, "the second worker to take over");
    } finally {
      second.kill("SIGTERM");
      await exited(second);
    }
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    expect(new Set((await allMessages(fd.url)).map((m) => m.uuid)).size).toBe(4);
  });
});

describe("the outcome observer", () => {
  it("when posts fail, are rate-limited, refused or succeed, the observer hears each attempt's outcome once, with the integration and when the event was queued", { timeout: 30_000 }, async () => {
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url);
    const { integration } = await connectDemoProject(app, fd.url);
    const heard: { outcome: DeliveryOutcome; queuedAt: Date; integrationId: string }[] = [];
    startWorker({ retry: { baseDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 }, onOutcome: (o) => heard.push(o) });
    const demo = await signedIn(app);
    const force = (status: number, count = 1, retryAfterSeconds?: number) => api(fd!.url, "/_simulator/faults/messages/next", { method: "POST", body: { status, count, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) } });
    const next = async (outcomes: DeliveryOutcome[]) => {
      await until(async () => heard.length >= outcomes.length, 10_000, outcomes.join(", "));
      expect(heard.splice(0).map((h) => h.outcome)).toEqual(outcomes);
    };

    const before = new Date();
    await force(503, 2);
    const n = await demo.open({ title: "Observed" });
    await until(async () => heard.length >= 3, 10_000, "three attempts");
    expect(heard.every((h) => h.integrationId === integration.id && h.queuedAt >= new Date(before.getTime() - 1000) && h.queuedAt <= new Date())).toBe(true);
    await next(["retry", "retry", "sent"]);

    await force(429, 1, 1);
    await demo.comment(n, "limited");
    await next(["rate_limited", "sent"]);

    await force(503, 3);
    await demo.comment(n, "doomed");
    await next(["retry", "retry", "dead"]);

    await force(401);
    await demo.open({ title: "Refused" });
    await next(["unauthorized"]);
  });

  it("when the source was removed in Flowdock, the observer hears that it is gone", async () => {
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url);
    await connectDemoProject(app, fd.url);
    const heard: DeliveryOutcome[] = [];
    startWorker({ onOutcome: (o) => heard.push(o.outcome) });
    await api(fd.url, "/_simulator/faults/messages/next", { method: "POST", body: { status: 410, count: 1 } });
    await (await signedIn(app)).open({ title: "Gone" });
    await until(async () => heard.length > 0, 10_000, "an outcome");
    expect(heard).toEqual(["gone"]);
  });
});
