// A worker process killed in the middle of deliveries: another one takes over
// when the leases run out, and Flowdock ends up with every message exactly once.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { exited, spawnWorker } from "../support/worker-process.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
});
afterEach(async () => {
  await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  await app.close();
  await fd.close();
});

describe("a delivery worker that dies", () => {
  it("when the worker is killed mid-delivery and another starts, nothing is lost and nothing is duplicated", async () => {
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    for (let i = 0; i < 6; i++) {
      const n = await demo.open({ title: `Issue ${i}` });
      await demo.comment(n, "first");
      await demo.comment(n, "second");
    }
    // Slow posts, so the kill lands while several are in flight (stored by Flowdock, unacknowledged to us).
    await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { latencyMs: 400 } });
    const env = { DATABASE_URL: app.config.databaseUrl, FLOWDOCK_API_URL: fd.url, FLOWDOCK_TIMEOUT_MS: "2000", DELIVERY_LEASE_SECONDS: "3" };
    const first = spawnWorker(env);
    await until(async () => (await app.db.outboxMessage.count({ where: { leaseOwner: { not: null } } })) > 0, 20_000, "the first worker to claim rows");
    await new Promise((r) => setTimeout(r, 300));
    first.kill("SIGKILL");
    await exited(first);
    expect(await app.db.outboxMessage.count({ where: { status: "pending" } })).toBeGreaterThan(0);

    await api(fd.url, "/_simulator/faults", { method: "DELETE" });
    const second = spawnWorker(env);
    try {
      await until(async () => (await app.db.outboxMessage.count({ where: { status: "pending" } })) === 0, 30_000, "the second worker to finish");
    } finally {
      second.kill("SIGTERM");
      await exited(second);
    }
    const messages = await allMessages(fd.url);
    expect(messages).toHaveLength(18);
    expect(new Set(messages.map((m) => m.uuid)).size).toBe(18);
  });
});
