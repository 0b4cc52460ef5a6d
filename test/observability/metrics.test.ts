// /metrics in Prometheus format, on the app and on a worker run alone, asserted
// after real deliveries to the local Flowdock: deliveries by outcome (410 and
// 401 included), the queued-to-sent latency, the outbox, dead rows, suspended
// and broken integrations, and HTTP durations by route pattern.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { exited, freePort, spawnWorker } from "../support/worker-process.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const TOKEN = "metrics-token-for-tests-0123";

let fd: LocalFlowdock;
let app: TestApp;
let worker: DeliveryWorker | undefined;

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url, { METRICS_TOKEN: TOKEN });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  await app.close();
  await fd.close();
});

function startWorker(maxAttempts = 50) {
  worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), {
    pollMs: 10, retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts }, onOutcome: (o) => app.metrics.observeDelivery(o),
  });
  worker.start();
}

/** The value of one series in Prometheus text, e.g. sample(text, 'tracker_deliveries_total{outcome="sent"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(): Promise<string> {
  const res = await request(app.app).get("/metrics").set("authorization", `Bearer ${TOKEN}`).expect(200);
  expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

// Undelivered: events not fanned out yet, and messages still to send.
const pending = async () => (await app.db.outboxEvent.count({ where: { fannedOut: false } })) + (await app.db.outboxMessage.count({ where: { status: "pending" } }));

describe("metrics on the app", () => {
  it("after real deliveries, /metrics counts them as sent, times them from queued to sent, shows an empty outbox, and times requests by route pattern", async () => {
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const n = await demo.open({ title: "Counted" });
    await demo.comment(n, "one");
    await demo.comment(n, "two");
    const before = await scrape();
    expect(sample(before, "tracker_outbox_pending")).toBe(3);
    expect(sample(before, "tracker_outbox_oldest_pending_age_seconds")).toBeGreaterThan(0);
    startWorker();
    await until(async () => (await pending()) === 0, 15_000, "the outbox to drain");

    const text = await scrape();
    expect(sample(text, 'tracker_deliveries_total{outcome="sent"}')).toBe(3);
    expect(sample(text, 'tracker_deliveries_total{outcome="retry"}')).toBe(0);
    expect(sample(text, "tracker_delivery_latency_seconds_count")).toBe(3);
    expect(sample(text, "tracker_delivery_latency_seconds_sum")).toBeGreaterThan(0);
    expect(sample(text, "tracker_outbox_pending")).toBe(0);
    expect(sample(text, "tracker_outbox_oldest_pending_age_seconds")).toBe(0);
    expect(sample(text, "tracker_outbox_dead")).toBe(0);
    const postIssue = `tracker_http_request_duration_seconds_count{method="POST",route="/projects/:projectId/issues",status_code="303"}`;
    expect(sample(text, postIssue)).toBe(1);
    // Route patterns only: no id or issue number ever becomes a label.
    const routes = [...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!);
    expect(routes.some((r) => r.includes(demo.project.id))).toBe(false);
  });

  it("when Flowdock answers 410 for one source and 401 for another's token, and a delivery keeps failing, the outcomes, dead rows and broken integrations show", async () => {
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    // 503 until parked as dead (2 attempts: one retry, then dead).
    await api(fd.url, "/_simulator/faults/messages/next", { method: "POST", body: { status: 503, count: 2 } });
    await demo.open({ title: "Fails twice" });
    startWorker(2);
    await until(async () => (await app.db.outboxMessage.count({ where: { status: "dead" } })) === 1, 15_000, "a dead row");
    let text = await scrape();
    expect(sample(text, 'tracker_deliveries_total{outcome="retry"}')).toBe(1);
    expect(sample(text, 'tracker_deliveries_total{outcome="dead"}')).toBe(1);
    expect(sample(text, "tracker_outbox_dead")).toBe(1);

    // 401: the integration's token is refused; it is marked broken.
    await api(fd.url, "/_simulator/faults/messages/next", { method: "POST", body: { status: 401, count: 1 } });
    await app.db.outboxMessage.deleteMany({ where: { status: "dead" } });
    await demo.open({ title: "Refused" });
    await until(async () => (await app.db.integration.count({ where: { status: "broken" } })) === 1, 15_000, "a broken integration");
    text = await scrape();
    expect(sample(text, 'tracker_deliveries_total{outcome="unauthorized"}')).toBe(1);
    expect(sample(text, "tracker_integrations_broken")).toBe(1);
    // The refused message waits for the integration to be fixed: pending, but not due.
    expect(sample(text, "tracker_outbox_pending")).toBe(1);
    expect(sample(text, "tracker_outbox_oldest_due_age_seconds")).toBe(0);

    // 410: a second integration whose source was removed in Flowdock.
    await app.db.integration.deleteMany();
    const second = await connectDemoProject(app, fd.url, "Second");
    expect((await api(fd.url, `/flows/acme/main/sources/${second.source.id}`, { method: "DELETE", token: second.userToken })).status).toBe(204);
    await demo.open({ title: "Gone" });
    await until(async () => (await app.db.integration.count()) === 0, 15_000, "the integration to be deleted");
    text = await scrape();
    expect(sample(text, 'tracker_deliveries_total{outcome="gone"}')).toBe(1);
  });

  it("when the project is archived, its integration counts as suspended", async () => {
    await connectDemoProject(app, fd.url);
    expect(sample(await scrape(), "tracker_integrations_suspended")).toBe(0);
    await app.db.project.updateMany({ where: { name: "Website" }, data: { archivedAt: new Date() } });
    expect(sample(await scrape(), "tracker_integrations_suspended")).toBe(1);
  });

  it("without the metrics token /metrics is refused, and with no token configured it doesn't exist", async () => {
    await request(app.app).get("/metrics").expect(401);
    await request(app.app).get("/metrics").set("authorization", "Bearer wrong-token-0123456789").expect(401);
    const open = await startTestApp(fd.url);
    try {
      await request(open.app).get("/metrics").expect(404);
    } finally {
      await open.close();
    }
  });
});

describe("a worker run alone", () => {
  it("answers /healthz, /readyz and /metrics on its own port: deliveries it made are counted, and it is not ready while deliveries wait longer than allowed", { timeout: 60_000 }, async () => {
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawnWorker({
      DATABASE_URL: app.config.databaseUrl, FLOWDOCK_API_URL: fd.url, WORKER_PORT: String(port), METRICS_TOKEN: TOKEN,
      WORKER_READY_MAX_DUE_AGE_SECONDS: "1", FLOWDOCK_TIMEOUT_MS: "10000", DELIVERY_LEASE_SECONDS: "30",
    });
    try {
      await until(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200, 20_000, "the worker's server");
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      await demo.open({ title: "Through the worker" });
      await until(async () => (await pending()) === 0, 15_000, "the worker to deliver");
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(sample(text, 'tracker_deliveries_total{outcome="sent"}')).toBe(1);
      expect(sample(text, "tracker_delivery_latency_seconds_count")).toBe(1);
      expect(text).toContain("process_cpu_seconds_total");
      expect((await fetch(`${base}/metrics`)).status).toBe(401);

      // Flowdock slows to 4 s a post: the next delivery is due and unsent for longer than allowed.
      await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { latencyMs: 4_000 } });
      await demo.open({ title: "Slow" });
      await until(async () => (await fetch(`${base}/readyz`)).status === 503, 10_000, "the worker to say it is not ready");
      const body = (await (await fetch(`${base}/readyz`)).json()) as { reason: string };
      expect(body.reason).toMatch(/waited/);
      await until(async () => (await pending()) === 0, 15_000, "the slow delivery");
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await exited(child);
    }
  });
});
