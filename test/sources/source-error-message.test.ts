// The flow sees why it gets nothing: each cause of a suspension sets the
// source's error_message in Flowdock (read back from the local Flowdock) and
// stops posting; each remedy clears it and posting resumes. Set and clear are
// durable (worker crash, Flowdock outage), once per change of state, and end
// right when the state flips quickly.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { csrfFrom } from "../support/browser.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { exited, spawnWorker } from "../support/worker-process.ts";
import { ADMIN, DANA, SAM, signIn, userId } from "../support/people.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { databaseKind } from "../../src/db/database-url.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
let worker: DeliveryWorker | undefined;

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url, { FLOWDOCK_TIMEOUT_MS: "2000", DELIVERY_LEASE_SECONDS: "3" });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  await app.close();
  await fd.close();
});

function startWorker() {
  worker = createDeliveryWorker(app.config, app.db, createLogger({ level: process.env.TEST_LOG ?? "silent", name: "w" }), {
    pollMs: 10, retry: { baseDelayMs: 10, maxDelayMs: 100, maxAttempts: 50 },
  }, { pollMs: 40, retry: { baseDelayMs: 30, maxDelayMs: 200 } });
  worker.start();
  return worker;
}

async function connected() {
  const c = await connectDemoProject(app, fd.url);
  const source = async () => (await api(fd.url, `/flows/acme/main/sources/${c.source.id}`, { token: c.userToken })).body as { error_message: string | null; configuration_url: string | null };
  const updates = async () => (await api(fd.url, `/_simulator/source-updates?source=${c.source.id}`)).body as { changes: { error_message?: string | null; configuration_url?: string } }[];
  const configureUrl = `/flowdock/configure?integration_id=${c.source.id}&flow=${c.integration.flowId}`;
  // Only a source as Flowdock describes it counts (a faulted answer has no error_message at all).
  // Waits until the app has also stored it as shown (with its audit line), which follows Flowdock's answer.
  const errorIs = (check: (m: string | null) => boolean, what: string) => until(async () => {
    const s = await source();
    const stored = await app.db.integration.findUnique({ where: { id: c.integration.id } });
    return s.error_message !== undefined && check(s.error_message) && stored?.reportedError === s.error_message;
  }, 15_000, what);
  const audit = async () => (await app.db.auditEntry.findMany({ where: { integrationId: c.integration.id }, orderBy: { id: "asc" } })).map((a) => a.action.replace("integration.", ""));
  return { ...c, source, updates, configureUrl, errorIs, audit };
}

/** Sam (a member of Website in the demo data) connected it, so removing or disabling him is a cause. */
async function connectedBySam(c: { integration: { id: string } }) {
  await app.db.integration.update({ where: { id: c.integration.id }, data: { createdByUserId: await userId(app, SAM.email) } });
}

async function takeOver(agent: Awaited<ReturnType<typeof signIn>>["agent"], configureUrl: string) {
  const page = await agent.get(configureUrl).expect(200);
  expect(page.text).toContain("Post as me");
  const integrationId = /name="integrationId" value="([^"]+)"/.exec(page.text)![1]!;
  const res = await agent.post(configureUrl.replace("/flowdock/configure", "/flowdock/configure/take-over")).type("form").send({ _csrf: csrfFrom(page.text), integrationId });
  expect(res.status, res.text).toBe(303);
  expect((await agent.get(res.headers.location as string)).text).toContain("the integration now posts as you");
}

describe("error_message on the source", () => {
  it("when the project is archived, nothing is posted, the source says why and where to fix it; unarchiving clears it and the next change brings the thread up to date", async () => {
    const c = await connected();
    const demo = await signedIn(app);
    const n = await demo.open({ title: "Before archiving" });
    startWorker();
    await until(async () => (await allMessages(fd.url)).length === 1, 10_000, "the first message");

    const dana = await signIn(app, DANA);
    expect((await dana.post(`/projects/${demo.project.id}/archive`)).status).toBe(303);
    await c.errorIs((m) => m !== null, "the error on the source");
    const message = (await c.source()).error_message!;
    expect(message).toContain("the Tracker project “Website” was archived");
    expect(message).toContain("unarchive");
    expect(message.endsWith(`http://app.test${c.configureUrl}`)).toBe(true);

    // The project is read-only now; an event still arriving (say, from an import) is counted, not queued.
    await app.db.$transaction((tx) => outboxRepository(app.db, databaseKind(app.config.databaseUrl)).recorder.record(tx, { projectId: demo.project.id, kind: "issue.commented", threadKey: "issue:x", event: "discussion", body: "while archived", author: { name: "Importer" }, thread: { title: "Imported" } }));
    // Counted where activities become deliveries (when recorded, or when the worker fans them out).
    await until(async () => (await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } })).skippedWhileSuspended === 1, 10_000, "the skip to be counted");
    expect(await app.db.outboxMessage.count()).toBe(1);
    const page = await demo.agent.get(`/projects/${demo.project.id}/integrations/${c.integration.id}`);
    expect(page.text).toContain("Posting is suspended");
    expect(page.text).toContain("1 update");

    expect((await dana.post(`/projects/${demo.project.id}/unarchive`)).status).toBe(303);
    await c.errorIs((m) => m === null, "the error to clear");
    await demo.comment(n, "after unarchiving");
    await until(async () => (await allMessages(fd.url)).length === 2, 10_000, "the next message");
    // No flood: the skipped comment is not sent; the next message carries the thread's whole state.
    const messages = await allMessages(fd.url);
    expect(messages.map((m) => m.body)).toEqual([null, "<p>after unarchiving</p>"]);
    expect(await c.audit()).toEqual(["connected", "suspended", "error_set", "resumed", "error_cleared"]);
  });

  it("when the member who connected it is removed from the project, the error names them and how to fix it; another member's “Post as me” clears it and resumes posting", async () => {
    const c = await connected();
    await connectedBySam(c);
    startWorker();
    const dana = await signIn(app, DANA);
    expect((await dana.post(`/projects/${c.integration.projectId}/members/${await userId(app, SAM.email)}/remove`)).status).toBe(303);
    await c.errorIs((m) => m !== null, "the error on the source");
    expect((await c.source()).error_message).toMatch(/Sam Member, who connected it, is no longer a member of the Tracker project “Website”\. Another member of the project can take it over \("Post as me"\)/);

    const demo = await signedIn(app);
    await demo.open({ title: "Not sent while suspended" });
    expect(await app.db.outboxMessage.count()).toBe(0);
    await takeOver(dana.agent, c.configureUrl);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } })).createdByUserId).toBe(await userId(app, DANA.email));
    await c.errorIs((m) => m === null, "the error to clear");
    await demo.open({ title: "Sent again" });
    await until(async () => (await allMessages(fd.url)).length === 1, 10_000, "the next message");
    expect(await c.audit()).toEqual(["connected", "suspended", "error_set", "taken_over", "resumed", "error_cleared"]);
    const page = await dana.get(`/projects/${c.integration.projectId}/integrations/${c.integration.id}`);
    for (const words of ["suspended posting", "took the integration over", "resumed posting", "cleared the error on the source in Flowdock"]) expect(page.text).toContain(words);
  });

  it("when the connector's account is disabled by a site administrator, the error says so; a member taking it over clears it", async () => {
    const c = await connected();
    await connectedBySam(c);
    startWorker();
    const admin = await signIn(app, ADMIN);
    expect((await admin.post(`/admin/accounts/${await userId(app, SAM.email)}/disable`)).status).toBe(303);
    await c.errorIs((m) => m !== null, "the error on the source");
    expect((await c.source()).error_message).toContain("the Tracker account of Sam Member, who connected it, was disabled");
    await takeOver((await signIn(app, DANA)).agent, c.configureUrl);
    await c.errorIs((m) => m === null, "the error to clear");
  });

  it("when the connector leaves the project themselves, the flow is told; when a disabled connector is enabled again, the error clears without a take-over", async () => {
    const c = await connected();
    await connectedBySam(c);
    startWorker();
    const sam = await signIn(app, SAM);
    expect((await sam.post(`/projects/${c.integration.projectId}/leave`)).status).toBe(303);
    await c.errorIs((m) => m?.includes("Sam Member, who connected it, is no longer a member") ?? false, "the error after leaving");

    // Back in the project, then disabled and enabled again by the site administrator.
    await app.db.membership.create({ data: { userId: await userId(app, SAM.email), projectId: c.integration.projectId, role: "member" } });
    await c.errorIs((m) => m === null, "the error to clear once Sam is back");
    const admin = await signIn(app, ADMIN);
    expect((await admin.post(`/admin/accounts/${await userId(app, SAM.email)}/disable`)).status).toBe(303);
    await c.errorIs((m) => m?.includes("was disabled") ?? false, "the error after disabling");
    expect((await admin.post(`/admin/accounts/${await userId(app, SAM.email)}/enable`)).status).toBe(303);
    await c.errorIs((m) => m === null, "the error to clear once enabled");
    expect((await c.audit()).filter((a) => a === "suspended" || a === "resumed")).toEqual(["suspended", "resumed", "suspended", "resumed"]);
  });

  it("when the connector deletes their account, the error says so; a member taking it over clears it", async () => {
    const c = await connected();
    await connectedBySam(c);
    startWorker();
    const sam = await signIn(app, SAM);
    expect((await sam.post("/account/delete", { password: SAM.password })).status).toBe(303);
    await c.errorIs((m) => m !== null, "the error on the source");
    expect((await c.source()).error_message).toContain("the Tracker account that connected it was deleted");
    await takeOver((await signIn(app, DANA)).agent, c.configureUrl);
    await c.errorIs((m) => m === null, "the error to clear");
  });

  it("when the state flips quickly (set, clear, set …) while no worker runs, the source gets the last state in one update", async () => {
    const c = await connected();
    for (const archivedAt of [new Date(), null, new Date(), null, new Date()]) {
      await app.db.project.update({ where: { id: c.integration.projectId }, data: { archivedAt } });
    }
    startWorker();
    await c.errorIs((m) => m !== null, "the error on the source");
    await new Promise((r) => setTimeout(r, 300));
    const updates = await c.updates();
    expect(updates).toHaveLength(1);
    expect(updates[0]!.changes.error_message).toContain("was archived");
  });

  it("when the state flips quickly while the worker runs and Flowdock is slow, the source ends in the right state and no update repeats the one before", async () => {
    const c = await connected();
    startWorker();
    await until(async () => (await c.updates()).length === 1, 10_000, "the configuration address to be set");
    await api(fd.url, "/_simulator/faults/api", { method: "PUT", body: { latencyMs: 150 } });
    for (const archivedAt of [new Date(), null, new Date(), null, new Date(), null, new Date()]) {
      await app.db.project.update({ where: { id: c.integration.projectId }, data: { archivedAt } });
      worker!.nudgeSources();
      await new Promise((r) => setTimeout(r, 60));
    }
    await c.errorIs((m) => m?.includes("was archived") ?? false, "the final error");
    await new Promise((r) => setTimeout(r, 600));
    expect((await c.source()).error_message).toContain("was archived");
    const errors = (await c.updates()).map((u) => u.changes.error_message).filter((m) => m !== undefined);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).not.toEqual(errors[i - 1]);
    expect(errors.length).toBeLessThanOrEqual(7);
  });

  it("when Flowdock is down while the error should be set, it is retried with backoff until Flowdock takes it", async () => {
    const c = await connected();
    await api(fd.url, "/_simulator/faults/api/next", { method: "POST", body: { status: 503, count: 4 } });
    await app.db.project.update({ where: { id: c.integration.projectId }, data: { archivedAt: new Date() } });
    startWorker();
    await until(async () => (await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } })).reportedError !== null, 15_000, "the error to be stored as shown");
    expect((await c.source()).error_message).toContain("was archived");
    // The four refused attempts changed nothing in Flowdock; the fifth did.
    expect(await c.updates()).toHaveLength(1);
    expect((await app.db.auditEntry.findMany({ where: { action: "integration.error_set" } }))).toHaveLength(1);
  });

  it("when the worker process is killed between the state change and Flowdock's answer, the next worker sets the error: nothing is lost", async () => {
    const c = await connected();
    await app.db.project.update({ where: { id: c.integration.projectId }, data: { archivedAt: new Date() } });
    await api(fd.url, "/_simulator/faults/api", { method: "PUT", body: { latencyMs: 1500 } });
    const env = { DATABASE_URL: app.config.databaseUrl, APP_BASE_URL: "http://app.test", FLOWDOCK_API_URL: fd.url, FLOWDOCK_TIMEOUT_MS: "2000", DELIVERY_LEASE_SECONDS: "3" };
    const first = spawnWorker(env);
    await until(async () => (await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } })).sourceSyncLeaseOwner !== null, 20_000, "the first worker to take the source");
    first.kill("SIGKILL");
    await exited(first);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } })).reportedError).toBeNull();

    await api(fd.url, "/_simulator/faults", { method: "DELETE" });
    const second = spawnWorker(env);
    try {
      await until(async () => (await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } })).reportedError !== null, 30_000, "the second worker to set the error");
    } finally {
      second.kill("SIGTERM");
      await exited(second);
    }
    expect((await c.source()).error_message).toContain("was archived");
    const audit = await c.audit();
    expect(audit.filter((a) => a === "suspended")).toHaveLength(1);
    expect(audit.filter((a) => a === "error_set")).toHaveLength(1);
  });

  it("when an integration connected before configuration addresses existed has none, the worker sets it so Configure in Inbox Settings leads straight to it", async () => {
    const c = await connected();
    expect((await c.source()).configuration_url).toBeNull();
    startWorker();
    await until(async () => (await c.source()).configuration_url !== null, 10_000, "the configuration address");
    expect((await c.source()).configuration_url).toBe(`http://app.test${c.configureUrl}`);
  });

  it("when Flowdock answers 410 to the update, the integration is removed and its record says so", async () => {
    const c = await connected();
    expect((await api(fd.url, `/flows/acme/main/sources/${c.integration.sourceId}`, { method: "DELETE", token: c.userToken })).status).toBe(204);
    startWorker();
    await until(async () => (await app.db.integration.count()) === 0, 10_000, "the integration to be removed");
    expect(await c.audit()).toEqual(["connected", "removed_in_flowdock"]);
  });
});
