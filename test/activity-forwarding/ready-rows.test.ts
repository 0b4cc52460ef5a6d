// The worker claims a few rows more than it is posting, so the next post starts
// as soon as one finishes. Those ready rows are still ours: they must not be
// posted to a flow that Flowdock just told us to leave alone, and a worker that
// stops gives them back instead of leaving them leased.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
const workers: DeliveryWorker[] = [];

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url, { FLOWDOCK_TIMEOUT_MS: "5000" });
});

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
  await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  await app.close();
  await fd.close();
});

// One post at a time, so the worker keeps one more row ready; a lease long
// enough that only a give-back (not its end) makes a row due again.
function startWorker() {
  const worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), {
    pollMs: 10, concurrency: 1, leaseMs: 60_000, retry: { baseDelayMs: 10, maxDelayMs: 100, maxAttempts: 50 },
  });
  workers.push(worker);
  worker.start();
  return worker;
}

async function openIssues(count: number): Promise<void> {
  await connectDemoProject(app, fd.url);
  const demo = await signedIn(app);
  for (let i = 0; i < count; i++) await demo.open({ title: `Issue ${i}` });
}

describe("rows a worker has claimed and not posted yet", () => {
  it("when Flowdock rate-limits the flow, the row the worker had ready for it waits out the limit too", async () => {
    await openIssues(4);
    await api(fd.url, "/_simulator/faults/messages/next", { method: "POST", body: { status: 429, count: 1, retryAfterSeconds: 3 } });
    startWorker();
    await until(async () => (await app.db.outboxMessage.count({ where: { lastError: { not: null } } })) === 1, 10_000, "the rate-limited post");
    // The limit is answered once; a ready row posted now would go through.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await allMessages(fd.url)).toHaveLength(0);

    await until(async () => (await allMessages(fd.url)).length === 4, 15_000, "every message after the limit");
    expect(new Set((await allMessages(fd.url)).map((m) => m.uuid)).size).toBe(4);
  });

  it("when a worker stops while posting, it gives back the rows it had ready, and the next worker sends them at once, each exactly once", async () => {
    await openIssues(4);
    await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { latencyMs: 500 } });
    const first = startWorker();
    // One row posting and one ready.
    await until(async () => (await app.db.outboxMessage.count({ where: { leaseOwner: first.id } })) === 2, 10_000, "the first worker's claim");
    await first.stop();
    workers.splice(workers.indexOf(first), 1);

    expect(await app.db.outboxMessage.count({ where: { leaseOwner: first.id, status: "pending" } })).toBe(0);
    expect(await app.db.outboxMessage.count({ where: { status: "sent" } })).toBe(1);
    const givenBack = await app.db.outboxMessage.findMany({ where: { status: "pending", dueAt: { not: null } } });
    expect(givenBack.length).toBeGreaterThan(0);
    expect(givenBack.every((r) => r.dueAt!.getTime() <= Date.now())).toBe(true);

    await api(fd.url, "/_simulator/faults", { method: "DELETE" });
    startWorker();
    // Well inside the first worker's 60 s lease.
    await until(async () => (await allMessages(fd.url)).length === 4, 10_000, "every message");
    expect(new Set((await allMessages(fd.url)).map((m) => m.uuid)).size).toBe(4);
  });
});
