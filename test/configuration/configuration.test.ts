// The configuration URI, opened from Configure in the flow's Inbox Settings:
// who may open it, and what saving changes in Flowdock and in what is sent.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { csrfFrom } from "../support/browser.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { hashPassword } from "../../src/crypto/password.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { databaseKind } from "../../src/db/database-url.ts";

let fd: LocalFlowdock;
let app: TestApp;
beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
});
afterEach(async () => {
  await app.close();
  await fd.close();
});

async function connected() {
  const c = await connectDemoProject(app, fd.url);
  const configureUrl = `/flowdock/configure?integration_id=${c.source.id}&flow=${c.integration.flowId}`;
  return { ...c, configureUrl };
}

describe("configuring an integration", () => {
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
    expect(settings.text.match(/type="checkbox" name="sendKinds" value="[^"]+" checked/g)).toHaveLength(7);
  });

  it("when comments are switched off and the source renamed, Flowdock shows the new name and comments are no longer queued", async () => {
    const { configureUrl, source, userToken, integration } = await connected();
    const demo = await signedIn(app);
    const page = await demo.agent.get(configureUrl);
    const kinds = [...page.text.matchAll(/name="sendKinds" value="([^"]+)"/g)].map((m) => m[1]!).filter((k) => k !== "issue.commented");
    const saved = await demo.agent.post(configureUrl).type("form").send(`${new URLSearchParams([["_csrf", csrfFrom(page.text)], ["sourceName", "Website issues"], ...kinds.map((k): [string, string] => ["sendKinds", k])])}`).expect(303);
    expect((await demo.agent.get(saved.headers.location as string)).text).toContain("Saved.");

    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: userToken })).body).toMatchObject({ name: "Website issues" });
    const n = await demo.open({ title: "Counted" });
    await demo.comment(n, "not sent");
    // What the delivery worker queues for this flow when it fans the events out.
    while (await outboxRepository(app.db, databaseKind(app.config.databaseUrl)).fanOut() > 0);
    const rows = await app.db.outboxMessage.findMany({ where: { integrationId: integration.id }, include: { event: true } });
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.event.payload).title).toBe("opened the issue");
  });

  it("when the person is not in the project, the link is broken or names an unknown source, they get a clear 4xx page", async () => {
    const { configureUrl, integration } = await connected();
    await app.db.user.create({ data: { email: "eve@example.com", name: "Eve", passwordHash: await hashPassword("eve-password") } });
    const eve = await signedIn(app, "eve@example.com", "eve-password");
    const refused = await eve.agent.get(configureUrl);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("Not a member of this project");

    const demo = await signedIn(app);
    expect((await demo.agent.get("/flowdock/configure")).status).toBe(400);
    expect((await demo.agent.get(`/flowdock/configure?integration_id=abc&flow=${integration.flowId}`)).status).toBe(400);
    expect((await demo.agent.get(`/flowdock/configure?integration_id=999&flow=${integration.flowId}`)).status).toBe(404);
    const legacy = await demo.agent.get(`/flowdock/configure?source_url=${encodeURIComponent(`${fd.url}/flows/acme/main/sources/${integration.sourceId}`)}&flow=${integration.flowId}`);
    expect(legacy.status).toBe(200);
  });

  it("when the form lacks its CSRF token, names an unknown kind or an empty name, nothing changes", async () => {
    const { configureUrl, integration } = await connected();
    const demo = await signedIn(app);
    const page = await demo.agent.get(configureUrl);
    await demo.agent.post(configureUrl).type("form").send({ sourceName: "X" }).expect(403);
    const unknown = await demo.agent.post(configureUrl).type("form").send({ _csrf: csrfFrom(page.text), sourceName: "X", sendKinds: "issue.deleted" }).expect(400);
    expect(unknown.text).toContain("Unknown kind: issue.deleted");
    await demo.agent.post(configureUrl).type("form").send({ _csrf: csrfFrom(page.text), sourceName: " " }).expect(400);
    const stored = await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } });
    expect(stored).toMatchObject({ sourceName: "Website", mutedKinds: "[]" });
  });

  it("when the source was removed in Flowdock, renaming it says so and saves nothing", async () => {
    const { configureUrl, source, userToken, integration } = await connected();
    await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: userToken });
    const demo = await signedIn(app);
    const page = await demo.agent.get(configureUrl);
    const res = await demo.agent.post(configureUrl).type("form").send({ _csrf: csrfFrom(page.text), sourceName: "Renamed", sendKinds: "issue.opened" });
    expect(res.status).toBe(409);
    expect(res.text).toContain("Nothing was saved");
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: integration.id } })).mutedKinds).toBe("[]");
  });
});
