// Disconnecting from the app: the person confirms with Flowdock once (it removes
// sources only for a user's token), the source goes there, then ours goes here;
// when Flowdock already removed it, ours goes; when Flowdock refuses, nothing
// goes and the person is told.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import { connectDemoProject } from "../support/tracker.ts";
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

async function connected() {
  const c = await connectDemoProject(app, fd.url);
  const configureUrl = `/flowdock/configure?integration_id=${c.source.id}&flow=${c.integration.flowId}`;
  const inFlowdock = async () => (await api(fd.url, `/flows/acme/main/sources/${c.source.id}`, { token: c.userToken })).status;
  return { ...c, configureUrl, inFlowdock };
}

/** Presses Disconnect on the configuration page; answers Flowdock's consent page address. */
async function pressDisconnect(browser: Browser, configureUrl: string, integrationId: string, flowdockUser = "alice@example.com") {
  const page = await browser.visit(configureUrl);
  expect(page.text).toContain("Disconnect from Flowdock");
  const res = await browser.app.post(configureUrl.replace("/flowdock/configure", "/flowdock/configure/disconnect")).type("form").redirects(0)
    .send({ _csrf: csrfFrom(page.text), integrationId });
  expect(res.status).toBe(302);
  const authorizeUrl = res.headers.location as string;
  expect(authorizeUrl.startsWith(`${fd.url}/oauth/authorize?`)).toBe(true);
  expect(new URL(authorizeUrl).searchParams.get("scope")).toBe("integration");
  await browser.signInToFlowdock(flowdockUser);
  return authorizeUrl;
}

/** Back from Flowdock's consent page through our callback; answers the last redirect's target. */
async function comeBack(browser: Browser, callback: string) {
  const back = await browser.visit(callback);
  expect(back.status).toBe(303);
  return browser.visit(back.headers.location as string);
}

describe("disconnecting an integration from the app", () => {
  it("when an owner disconnects and confirms with Flowdock, the source is gone from the flow and from Tracker, and the record says who did it", async () => {
    const c = await connected();
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const authorizeUrl = await pressDisconnect(browser, c.configureUrl, c.integration.id);
    const done = await comeBack(browser, await browser.consent(authorizeUrl, "approve"));
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`/projects/${c.integration.projectId}/integrations`);
    const page = await browser.visit(done.headers.location as string);
    expect(page.text).toContain("Disconnected “Website”: it is removed from Acme Inc / Main in Flowdock and posts nothing more.");
    expect(page.text).toContain("disconnected the integration");

    expect(await c.inFlowdock()).toBe(404);
    expect((await browser.flowdock.get("/app/acme/main/settings")).text).not.toContain("Tracker</strong> · Website");
    expect(await app.db.integration.count()).toBe(0);
    const line = await app.db.auditEntry.findFirstOrThrow({ where: { action: "integration.disconnected" } });
    expect(line).toMatchObject({ actorName: "Dana Demo", integrationId: c.integration.id, detail: "source “Website” in Acme Inc / Main, removed in Flowdock too" });
  });

  it("when the source was already removed in Flowdock, disconnecting just removes ours and says so", async () => {
    const c = await connected();
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const authorizeUrl = await pressDisconnect(browser, c.configureUrl, c.integration.id);
    expect((await api(fd.url, `/flows/acme/main/sources/${c.source.id}`, { method: "DELETE", token: c.userToken })).status).toBe(204);
    const done = await comeBack(browser, await browser.consent(authorizeUrl, "approve"));
    const page = await browser.visit(done.headers.location as string);
    expect(page.text).toContain("it had already been removed from Acme Inc / Main in Flowdock");
    expect(await app.db.integration.count()).toBe(0);
  });

  it("when the person declines on Flowdock's consent page, nothing is disconnected and they are told so", async () => {
    const c = await connected();
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const authorizeUrl = await pressDisconnect(browser, c.configureUrl, c.integration.id);
    const refused = await browser.visit(await browser.consent(authorizeUrl, "deny"));
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("nothing was disconnected: the integration still posts to the flow");
    expect(refused.text).toContain(c.configureUrl.replace(/&/g, "&amp;"));
    expect(await c.inFlowdock()).toBe(200);
    expect(await app.db.integration.count()).toBe(1);
  });

  it("when Flowdock fails while removing the source, ours stays, nothing is half-done, and the person is told the source still posts", async () => {
    const c = await connected();
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const authorizeUrl = await pressDisconnect(browser, c.configureUrl, c.integration.id);
    const callback = await browser.consent(authorizeUrl, "approve");
    const back = await browser.visit(callback);
    await api(fd.url, "/_simulator/faults/api/next", { method: "POST", body: { status: 503, count: 5 } });
    const failed = await browser.visit(back.headers.location as string);
    expect(failed.status).toBe(502);
    expect(failed.text).toContain("Nothing was disconnected: the integration still posts to the flow.");
    await api(fd.url, "/_simulator/faults", { method: "DELETE" });
    expect(await c.inFlowdock()).toBe(200);
    expect(await app.db.integration.count()).toBe(1);
    expect(await app.db.auditEntry.count({ where: { action: "integration.disconnected" } })).toBe(0);
  });

  it("when the Flowdock account confirming is not in the flow, the source is not forgotten: ours stays and the person is told why", async () => {
    const c = await connected();
    // A flow only alice is in: bob can't see it, so Flowdock can't remove its source for him.
    const support = (await api(fd.url, "/flows/acme/support", { token: c.userToken })).body as { id: string };
    await app.db.integration.update({ where: { id: c.integration.id }, data: { flowId: support.id } });
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const authorizeUrl = await pressDisconnect(browser, `/flowdock/configure?integration_id=${c.source.id}&flow=${support.id}`, c.integration.id, "bob@example.com");
    const back = await browser.visit(await browser.consent(authorizeUrl, "approve"));
    const refused = await browser.visit(back.headers.location as string);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("is not in Acme Inc / Main, so it cannot remove the source there");
    expect(await app.db.integration.count()).toBe(1);
    expect(await c.inFlowdock()).toBe(200);
  });

  it("when a member who is not an owner tries to disconnect, it is refused before Flowdock is asked", async () => {
    const c = await connected();
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp("sam@example.com", "demo");
    const page = await browser.visit(c.configureUrl);
    expect(page.text).not.toContain("Disconnect from Flowdock");
    const res = await browser.app.post(c.configureUrl.replace("/flowdock/configure", "/flowdock/configure/disconnect")).type("form").redirects(0)
      .send({ _csrf: csrfFrom(page.text), integrationId: c.integration.id });
    expect(res.status).toBe(403);
    expect(await c.inFlowdock()).toBe(200);
  });
});
