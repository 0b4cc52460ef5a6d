// The configuration URI, opened from Configure in the flow's Inbox Settings:
// who may open and change it, what each setting changes in what the next event
// does, moving it to another project, and the audit lines it leaves.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { csrfFrom } from "../support/browser.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { hashPassword } from "../../src/crypto/password.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { databaseKind } from "../../src/db/database-url.ts";

let fd: LocalFlowdock;
let app: TestApp;
let worker: DeliveryWorker | undefined;
beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await app.close();
  await fd.close();
});

/**
 * What reached the flow once the outbox has nothing left to send (every event
 * fanned out, every message delivered) and `sentinel` (a thread title opened
 * last) has arrived, so whatever is missing was not sent. The worker posts
 * different threads side by side and keeps order only within a thread, so the
 * titles are grouped by issue number, each thread's in the order it arrived.
 */
async function arrivedUpTo(sentinel: string): Promise<string[]> {
  worker ??= createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), { pollMs: 10 });
  worker.start();
  let titles: string[] = [];
  await until(async () => {
    const undelivered = (await app.db.outboxEvent.count({ where: { fannedOut: false } })) + (await app.db.outboxMessage.count({ where: { status: "pending" } }));
    titles = (await allMessages(fd.url)).map((m) => `${m.title ?? "comment"}: ${m.thread.title}`);
    return undelivered === 0 && titles.some((t) => t.endsWith(sentinel));
  }, 15_000, `“${sentinel}” to arrive and the outbox to be empty`);
  const issueNumber = (title: string) => Number(/: #(\d+) /.exec(title)?.[1]);
  return titles.sort((a, b) => issueNumber(a) - issueNumber(b));
}

const ALL_KINDS = ["issue.opened", "issue.edited", "issue.assigned", "issue.labelled", "issue.closed", "issue.reopened", "issue.commented"];

async function connected() {
  const c = await connectDemoProject(app, fd.url);
  const configureUrl = `/flowdock/configure?integration_id=${c.source.id}&flow=${c.integration.flowId}`;
  return { ...c, configureUrl, at: (step: string) => configureUrl.replace("/flowdock/configure", `/flowdock/configure/${step}`) };
}

type Agent = ReturnType<typeof request.agent>;
function form(page: string, integrationId: string, fields: [string, string][]) {
  return `${new URLSearchParams([["_csrf", csrfFrom(page)], ["integrationId", integrationId], ...fields])}`;
}
async function save(agent: Agent, url: string, integrationId: string, fields: [string, string][]) {
  const page = await agent.get(url);
  return agent.post(url).type("form").send(form(page.text, integrationId, fields));
}
const ticked = (html: string) => [...html.matchAll(/name="sendKinds" value="([^"]+)" checked/g)].map((m) => m[1]);

async function person(email: string, name: string, role?: "owner" | "member") {
  const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
  await app.db.user.create({ data: { email, name, passwordHash: await hashPassword("pass-word"), ...(role ? { memberships: { create: { projectId: project.id, role } } } : {}) } });
  return signedIn(app, email, "pass-word");
}

describe("who may open the configuration page", () => {
  it("when a signed-out flow admin presses Configure, they sign in and come back to the integration's settings", async () => {
    const { configureUrl } = await connected();
    const agent = request.agent(app.app);
    const first = await agent.get(configureUrl).expect(303);
    expect(first.headers.location).toBe("/sign-in");
    const page = await agent.get("/sign-in");
    const back = await agent.post("/sign-in").type("form").send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" }).expect(303);
    expect(back.headers.location).toBe(configureUrl);
    const settings = await agent.get(configureUrl).expect(200);
    expect(settings.text).toContain("Configure “Website”");
    expect(ticked(settings.text)).toEqual(ALL_KINDS);
  });

  it("when a member who is not an owner opens it, they see the settings read-only with the reason, and their changes are refused", async () => {
    const { configureUrl, integration } = await connected();
    const mo = await person("mo@example.com", "Mo Member", "member");
    const page = await mo.agent.get(configureUrl).expect(200);
    expect(page.text).toContain("only the owners of Website can. You are a member.");
    expect(page.text).toMatch(/<fieldset disabled/);
    expect(page.text).not.toContain(">Save<");
    expect(page.text).not.toContain("Disconnect from Flowdock");
    const res = await mo.agent.post(configureUrl).type("form").send(form(page.text, integration.id, [["sendKinds", "issue.opened"]]));
    expect(res.status).toBe(403);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).mutedKinds).toBe("[]");
  });

  it("when someone outside the project opens it, they get a 403 page naming the owners to ask and a way on", async () => {
    const { configureUrl } = await connected();
    const eve = await person("eve@example.com", "Eve Outsider");
    const refused = await eve.agent.get(configureUrl);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("Not a member of this project");
    expect(refused.text).toContain("Ask one of its owners (Dana Demo) to add you");
    expect(refused.text).toContain('href="/projects"');
  });

  it("when the ids in the link are tampered with (another flow, another source, a form naming another integration), the answer is 404 or 400 and nothing changes", async () => {
    const { configureUrl, integration, source } = await connected();
    const demo = await signedIn(app);
    expect((await demo.agent.get("/flowdock/configure")).status).toBe(400);
    expect((await demo.agent.get(`/flowdock/configure?integration_id=abc&flow=${integration.flowId}`)).status).toBe(400);
    expect((await demo.agent.get(`/flowdock/configure?integration_id=999&flow=${integration.flowId}`)).status).toBe(404);
    expect((await demo.agent.get(`/flowdock/configure?integration_id=${source.id}&flow=another-flow`)).status).toBe(404);
    const legacy = (url: string) => `/flowdock/configure?source_url=${encodeURIComponent(url)}&flow=${integration.flowId}`;
    expect((await demo.agent.get(legacy(`${fd.url}/flows/acme/main/sources/${source.id}`))).status).toBe(200);
    expect((await demo.agent.get(legacy(`${fd.url}/flows/acme/support/sources/${source.id}`))).status).toBe(404);
    expect((await demo.agent.get(`/flowdock/configure?source=${source.id}&flow=${integration.flowId}`)).status).toBe(200);
    const page = await demo.agent.get(configureUrl);
    const tampered = await demo.agent.post(configureUrl).type("form").send(form(page.text, "someone-elses", [["sendKinds", "issue.opened"]]));
    expect(tampered.status).toBe(404);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).mutedKinds).toBe("[]");
  });

  it("when a form comes without its CSRF token, every change is refused", async () => {
    const { configureUrl, integration, at } = await connected();
    const demo = await signedIn(app);
    for (const url of [configureUrl, at("move"), at("take-over"), at("disconnect")]) {
      expect((await demo.agent.post(url).type("form").send({ integrationId: integration.id, sendKinds: "issue.opened" })).status).toBe(403);
    }
    expect(await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).toMatchObject({ mutedKinds: "[]", projectId: demo.project.id });
  });
});

describe("settings, each effective from the next event", () => {
  it("when comments are switched off and only issues labelled bug are sent, the next events follow that, the page says so in words and the record says what changed", async () => {
    const { configureUrl, integration } = await connected();
    const demo = await signedIn(app);
    const saved = await save(demo.agent, configureUrl, integration.id, [...ALL_KINDS.filter((k) => k !== "issue.commented").map((k): [string, string] => ["sendKinds", k]), ["labels", "bug, urgent"]]);
    expect(saved.status).toBe(303);
    expect((await demo.agent.get(saved.headers.location as string)).text).toContain("Saved. From the next change of an issue");

    const bug = await demo.open({ title: "A bug", labels: "bug" });
    await demo.comment(bug, "not sent: comments are off");
    await demo.open({ title: "Not a bug", labels: "question" });
    await demo.open({ title: "Urgent", labels: "urgent" });
    expect(await arrivedUpTo("Urgent")).toEqual(["opened the issue: #1 A bug", "opened the issue: #3 Urgent"]);

    const page = await demo.agent.get(`/projects/${demo.project.id}/integrations/${integration.id}`);
    expect(page.text).toContain("every change and comment except: comments, only for issues labelled bug or urgent");
    expect(page.text).not.toMatch(/issue\.(opened|commented)/);
    const line = await app.db.auditEntry.findFirstOrThrow({ where: { action: "integration.configured" } });
    expect(line).toMatchObject({ actorName: "Dana Demo", detail: "stopped sending comments, only issues labelled bug or urgent" });
    expect(page.text).toContain("changed the settings");
  });

  it("when the form comes back with an error, every box stays as the person ticked it and nothing is saved", async () => {
    const { configureUrl, integration } = await connected();
    const demo = await signedIn(app);
    const res = await save(demo.agent, configureUrl, integration.id, [["sendKinds", "issue.opened"], ["sendKinds", "issue.closed"], ["labels", "x".repeat(31)]]);
    expect(res.status).toBe(400);
    expect(res.text).toContain("Each label at most 30 characters.");
    expect(ticked(res.text)).toEqual(["issue.opened", "issue.closed"]);
    expect(res.text).toContain(`value="${"x".repeat(31)}"`);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).mutedKinds).toBe("[]");
  });

  it("when nothing is ticked, saving is refused until the person confirms that the flow will receive nothing; then nothing is queued and the pages say “nothing”", async () => {
    const { configureUrl, integration } = await connected();
    const demo = await signedIn(app);
    const refused = await save(demo.agent, configureUrl, integration.id, []);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("tick “Send nothing” to confirm that the flow should receive nothing");
    expect(refused.text).toContain("the flow will receive nothing");
    const unknown = await save(demo.agent, configureUrl, integration.id, [["sendKinds", "issue.deleted"]]);
    expect(unknown.status).toBe(400);

    expect((await save(demo.agent, configureUrl, integration.id, [["sendNothing", "yes"]])).status).toBe(303);
    await demo.open({ title: "Nobody hears this" });
    // Settings apply from the next event the worker fans out: it has taken this one before they change again.
    while ((await outboxRepository(app.db, databaseKind(app.config.databaseUrl)).fanOut()) > 0);
    const page = await demo.agent.get(`/projects/${demo.project.id}/integrations/${integration.id}`);
    expect(page.text).toContain("nothing: the flow receives nothing from this project");
    expect(page.text).not.toContain("everything except");
    // Everything on again: the next issue arrives, the one before it never does.
    expect((await save(demo.agent, configureUrl, integration.id, ALL_KINDS.map((k): [string, string] => ["sendKinds", k]))).status).toBe(303);
    await demo.open({ title: "Heard again" });
    expect(await arrivedUpTo("Heard again")).toEqual(["opened the issue: #2 Heard again"]);
  });
});

describe("moving the integration to another project", () => {
  it("when an owner moves it to another project they own, that project's events arrive from then on and both records say so", async () => {
    const { configureUrl, integration, at } = await connected();
    const demo = await signedIn(app);
    const demoUser = await app.db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
    const docs = await app.db.project.create({ data: { name: "Docs", memberships: { create: { userId: demoUser.id, role: "owner" } } } });
    const page = await demo.agent.get(configureUrl);
    expect(page.text).toContain(`<option value="${docs.id}">Docs</option>`);
    const moved = await demo.agent.post(at("move")).type("form").send(form(page.text, integration.id, [["projectId", docs.id]]));
    expect(moved.status).toBe(303);
    expect((await demo.agent.get(moved.headers.location as string)).text).toContain("Moved. From now on Docs posts to this flow.");

    await demo.open({ title: "Website issue" });
    const docsPage = await demo.agent.get(`/projects/${docs.id}/issues/new`);
    await demo.agent.post(`/projects/${docs.id}/issues`).type("form").send({ _csrf: csrfFrom(docsPage.text), title: "Docs issue" }).expect(303);
    expect(await arrivedUpTo("Docs issue")).toEqual(["opened the issue: #1 Docs issue"]);
    expect((await app.db.auditEntry.findMany({ where: { action: { startsWith: "integration.moved" } }, orderBy: { id: "asc" } })).map((a) => [a.projectId, a.action, a.detail]))
      .toEqual([[demo.project.id, "integration.moved_out", "to Docs"], [docs.id, "integration.moved_in", "from Website"]]);
  });

  it("when the form names a project the person does not own, it is not found and nothing moves", async () => {
    const { configureUrl, integration, at } = await connected();
    const other = await app.db.project.create({ data: { name: "Someone else's" } });
    const demo = await signedIn(app);
    const page = await demo.agent.get(configureUrl);
    expect((await demo.agent.post(at("move")).type("form").send(form(page.text, integration.id, [["projectId", other.id]]))).status).toBe(404);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).projectId).toBe(demo.project.id);
  });
});

describe("taking an integration over", () => {
  it("when the integration is not suspended, or suspended because the project is archived, “Post as me” is not offered and is refused", async () => {
    const { configureUrl, integration, at } = await connected();
    const sam = await person("mo@example.com", "Mo Member", "member");
    const page = await sam.agent.get(configureUrl);
    expect(page.text).not.toContain("Post as me");
    const refused = await sam.agent.post(at("take-over")).type("form").send(form(page.text, integration.id, []));
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("This integration is not suspended");

    await app.db.project.update({ where: { id: integration.projectId }, data: { archivedAt: new Date() } });
    const archived = await sam.agent.get(configureUrl);
    expect(archived.text).toContain("Posting to this flow is suspended");
    expect(archived.text).not.toContain("Post as me");
    const stillRefused = await sam.agent.post(at("take-over")).type("form").send(form(archived.text, integration.id, []));
    expect(stillRefused.status).toBe(409);
    expect(stillRefused.text).toContain("an owner can unarchive it");
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).createdByUserId).not.toBe((await app.db.user.findFirstOrThrow({ where: { email: "mo@example.com" } })).id);
  });
});
