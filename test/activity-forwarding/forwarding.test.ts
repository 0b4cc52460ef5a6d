// Issue events reach the connected flow as threads, through the outbox and a
// delivery worker, over real HTTP to a local Flowdock with its fault knobs.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import { api, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { hashPassword } from "../../src/crypto/password.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
let worker: DeliveryWorker | undefined;

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url, { FLOWDOCK_TIMEOUT_MS: "400", DELIVERY_LEASE_SECONDS: "2" });
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
    pollMs: 10, concurrency: 8, retry: { baseDelayMs: 10, maxDelayMs: 100, maxAttempts },
  });
  worker.start();
  return worker;
}

// Undelivered: events not fanned out yet, and messages still to send.
const pending = async () => (await app.db.outboxEvent.count({ where: { fannedOut: false } })) + (await app.db.outboxMessage.count({ where: { status: "pending" } }));
const drained = (what = "the outbox to drain") => until(async () => (await pending()) === 0, 30_000, what);

describe("forwarding issue events to Flowdock", () => {
  it("when an issue goes through every kind of change, each arrives in order in one thread carrying its current state", async () => {
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const n = await demo.open({ title: "Broken link", description: "The footer link 404s.\n\nSeen on /about.", priority: "high", labels: "bug" });
    const demoUser = await app.db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
    await demo.edit(n, { title: "Broken footer link", description: "The footer link 404s.", priority: "high", labels: "bug", assigneeId: "" });
    await demo.edit(n, { title: "Broken footer link", description: "The footer link 404s.", priority: "high", labels: "bug", assigneeId: demoUser.id });
    await demo.edit(n, { title: "Broken footer link", description: "The footer link 404s.", priority: "high", labels: "bug, website", assigneeId: demoUser.id });
    await demo.comment(n, "On it <b>now</b>.");
    await demo.close(n);
    await demo.reopen(n);
    startWorker();
    await drained();

    const messages = await allMessages(fd.url);
    expect(messages.map((m) => [m.event, m.title])).toEqual([
      ["activity", "opened the issue"],
      ["activity", "edited the issue"],
      ["activity", "assigned the issue to Dana Demo"],
      ["activity", "labelled the issue bug, website"],
      ["discussion", null],
      ["activity", "closed the issue"],
      ["activity", "reopened the issue"],
    ]);
    expect(new Set(messages.map((m) => m.external_thread_id)).size).toBe(1);
    expect(messages[4]!.body).toBe("<p>On it &lt;b&gt;now&lt;/b&gt;.</p>");
    expect(messages[0]!.thread).toMatchObject({ title: `#${n} Broken link`, status: { color: "green", value: "open" } });
    expect(messages[5]!.thread.status).toEqual({ color: "red", value: "closed" });

    const [thread] = (await api(fd.url, "/flows/acme/main/threads", { token: await passwordToken(fd.url, "alice@example.com") })).body as Record<string, unknown>[];
    expect(thread).toMatchObject({
      title: `#${n} Broken footer link`,
      external_url: `http://app.test/projects/${demo.project.id}/issues/${n}`,
      status: { color: "green", value: "open" },
      fields: [{ label: "Assignee", value: "Dana Demo" }, { label: "Priority", value: "high" }, { label: "Labels", value: "bug, website" }],
    });
  });

  it("when Flowdock fails a fifth of posts, times some out and rate-limits others, every message arrives exactly once and in order per thread", async () => {
    await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const issues: number[] = [];
    for (let i = 0; i < 12; i++) issues.push(await demo.open({ title: `Issue ${i}` }));
    for (let round = 0; round < 4; round++) {
      for (const n of issues) await demo.comment(n, `comment ${round} on ${n}`);
    }
    await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { errorRate: 0.2, timeoutRate: 0.05 } });
    await api(fd.url, "/_simulator/rate-limit", { method: "PUT", body: { max: 15, windowMs: 200 } });
    startWorker();
    await drained();

    const messages = await allMessages(fd.url);
    const expected = 12 * 5;
    expect(messages).toHaveLength(expected);
    expect(new Set(messages.map((m) => m.uuid)).size).toBe(expected);
    const rows = await app.db.outboxMessage.findMany({ orderBy: { id: "asc" } });
    expect(rows.every((r) => r.status === "sent")).toBe(true);
    expect(rows.some((r) => r.attempts > 0)).toBe(true);
    // Per thread, Flowdock stored the messages in the order they were queued.
    const position = new Map(messages.map((m, i) => [m.uuid, i]));
    const byThread = new Map<string, number[]>();
    for (const r of rows) byThread.set(r.threadKey, [...(byThread.get(r.threadKey) ?? []), position.get(r.uuid)!]);
    expect(byThread.size).toBe(12);
    for (const order of byThread.values()) {
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it("when the source was removed in Flowdock, the next event deletes the integration and nothing more is posted", async () => {
    const { source, userToken } = await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    const n = await demo.open({ title: "Before removal" });
    startWorker();
    await drained();
    expect(await allMessages(fd.url)).toHaveLength(1);

    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: userToken })).status).toBe(204);
    await demo.comment(n, "after removal 1");
    await demo.comment(n, "after removal 2");
    await until(async () => (await app.db.integration.count()) === 0, 10_000, "the integration to be deleted");

    expect(await app.db.outboxMessage.count()).toBe(0);
    expect(await allMessages(fd.url)).toHaveLength(1);
    const notices = await app.db.projectNotice.findMany();
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toContain("was removed from Acme Inc / Main");
    const page = await demo.agent.get(`/projects/${demo.project.id}/integrations`);
    expect(page.text).toContain("no longer posts there");
    expect(page.text).toContain("removed the integration: its source was deleted in Flowdock");
    expect((await app.db.auditEntry.findMany()).map((a) => [a.action, a.actorName])).toEqual([["integration.connected", "Dana Demo"], ["integration.removed_in_flowdock", "Tracker"]]);

    await demo.comment(n, "much later");
    expect(await app.db.outboxMessage.count()).toBe(0);
  });

  it("when Flowdock refuses the flow token with 401, the integration is marked broken and nothing more is posted or queued for it", async () => {
    const { integration } = await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    await api(fd.url, "/_simulator/faults/messages/next", { method: "POST", body: { status: 401, count: 1 } });
    await demo.open({ title: "Refused" });
    startWorker();
    await until(async () => (await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).status === "broken", 10_000, "broken");
    await demo.open({ title: "Not sent either" });
    await new Promise((r) => setTimeout(r, 200));
    expect(await allMessages(fd.url)).toHaveLength(0);
    // The refused message stays queued; new events are not queued for a broken integration.
    expect(await pending()).toBe(1);
    const page = await demo.agent.get(`/projects/${demo.project.id}/integrations/${integration.id}`);
    expect(page.text).toContain("broken");
    expect(page.text).toContain("stopped posting: Flowdock refused the integration&#39;s token");
    expect(page.text).toContain("0 sent · 1 waiting or retrying · 0 failed");
    expect((await app.db.auditEntry.findMany({ where: { integrationId: integration.id } })).map((a) => a.action)).toEqual(["integration.connected", "integration.token_refused"]);
  });

  it("when a delivery keeps failing, it is parked as failed, blocks its thread, shows an error on the source, and a project owner's retry sends it, what waited behind it, and clears the error", async () => {
    const { integration, source, userToken } = await connectDemoProject(app, fd.url);
    const sourceError = async () => ((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: userToken })).body as { error_message: string | null }).error_message;
    const demo = await signedIn(app);
    await api(fd.url, "/_simulator/faults/messages/next", { method: "POST", body: { status: 503, count: 3 } });
    const n = await demo.open({ title: "Unlucky" });
    await demo.comment(n, "waits behind the failed one");
    startWorker(3);
    await until(async () => (await app.db.outboxMessage.count({ where: { status: "dead" } })) === 1, 10_000, "a dead row");
    await new Promise((r) => setTimeout(r, 100));
    expect(await allMessages(fd.url)).toHaveLength(0);
    await until(async () => (await sourceError()) !== null, 5_000, "the error on the source");
    expect(await sourceError()).toMatch(/^Tracker could not deliver some updates to this flow \(Flowdock is unavailable \(HTTP 503\)\)/);

    const page = await demo.agent.get(`/projects/${demo.project.id}/integrations/${integration.id}`);
    expect(page.text).toContain("0 sent · 1 waiting or retrying · 1 failed");
    expect(page.text).toContain("HTTP 503");
    const dead = await app.db.outboxMessage.findFirstOrThrow({ where: { status: "dead" } });
    const retry = await demo.agent.post(`/projects/${demo.project.id}/integrations/${integration.id}/deliveries/${dead.id}/retry`).type("form").send({ _csrf: demo.csrf }).redirects(0);
    expect(retry.status).toBe(303);
    await drained();
    expect((await allMessages(fd.url)).map((m) => m.event)).toEqual(["activity", "discussion"]);
    await until(async () => (await sourceError()) === null, 5_000, "the error to be cleared");
    // Stored as shown right after Flowdock's answer.
    await until(async () => (await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).reportedError === null, 5_000, "the cleared error to be stored");
    const record = await app.db.auditEntry.findMany({ where: { integrationId: integration.id }, orderBy: { id: "asc" } });
    expect(record.map((a) => [a.action, a.actorName])).toEqual([
      ["integration.connected", "Dana Demo"], ["integration.error_set", "Tracker"], ["integration.deliveries_retried", "Dana Demo"], ["integration.error_cleared", "Tracker"],
    ]);
  });

  it("when only a member (not an owner) asks to retry a failed delivery, it is refused", async () => {
    const { integration } = await connectDemoProject(app, fd.url);
    const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
    await app.db.user.create({ data: { email: "mo@example.com", name: "Mo Member", passwordHash: await hashPassword("member-pass"), memberships: { create: { projectId: project.id, role: "member" } } } });
    const row = await app.db.outboxMessage.create({
      data: { integration: { connect: { id: integration.id } }, threadKey: "issue:x", uuid: crypto.randomUUID(), status: "dead", event: { create: { projectId: project.id, threadKey: "issue:x", kind: "issue.opened", payload: "{}", fannedOut: true } } },
    });
    const member = await signedIn(app, "mo@example.com", "member-pass");
    const res = await member.agent.post(`/projects/${project.id}/integrations/${integration.id}/deliveries/${row.id}/retry`).type("form").send({ _csrf: member.csrf });
    expect(res.status).toBe(403);
    expect((await app.db.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("dead");
  });

  it("when Flowdock takes seconds per post, the issue pages answer before Flowdock does", async () => {
    await connectDemoProject(app, fd.url);
    await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { latencyMs: 3_000 } });
    startWorker();
    const demo = await signedIn(app);
    const n = await demo.open({ title: "Slow flow" });
    // The page is back and the issue saved while the post is still on its way.
    expect((await demo.agent.get(`/projects/${demo.project.id}/issues/${n}`)).status).toBe(200);
    expect(await allMessages(fd.url)).toHaveLength(0);
    expect(await app.db.outboxMessage.count({ where: { status: "sent" } })).toBe(0);
  });
});
