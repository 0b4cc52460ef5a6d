// The setup flow end to end, over real HTTP: our app (supertest) and a local
// Flowdock on a free port, with a person's browser going back and forth.
import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";

let fd: LocalFlowdock;
let app: TestApp;
let flows: { main: string; support: string };

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url, { FLOWDOCK_TIMEOUT_MS: "1500" });
  const token = await passwordToken(fd.url, "alice@example.com");
  const main = await api(fd.url, "/flows/acme/main", { token });
  const support = await api(fd.url, "/flows/acme/support", { token });
  flows = { main: (main.body as { id: string }).id, support: (support.body as { id: string }).id };
});

afterEach(async () => {
  await app.close();
  await fd.close();
});

async function fault(target: string, body: object) {
  const res = await api(fd.url, `/_simulator/faults/${target}/next`, { method: "POST", body });
  expect(res.status).toBe(200);
}

async function sourcesIn(flow: string) {
  const res = await api(fd.url, `/flows/acme/${flow}/sources`, { token: await passwordToken(fd.url, "alice@example.com") });
  return res.body as { id: number; name: string }[];
}

/** From "add integration" to Flowdock's answer at our callback, as `flowdockUser`. */
async function authorize(browser: Browser, flowId: string, decision: "approve" | "deny" = "approve", flowdockUser = "alice@example.com") {
  const start = await browser.visit(`/flowdock/setup?flow=${encodeURIComponent(flowId)}`);
  expect(start.status).toBe(302);
  const authorizeUrl = start.headers.location as string;
  expect(authorizeUrl.startsWith(`${fd.url}/oauth/authorize?`)).toBe(true);
  await browser.signInToFlowdock(flowdockUser);
  return browser.consent(authorizeUrl, decision);
}

/** Through OAuth to the confirmation screen; answers its URL and page. */
async function reachConfirmation(browser: Browser, flowId = flows.main, flowdockUser = "alice@example.com") {
  const callback = await authorize(browser, flowId, "approve", flowdockUser);
  const back = await browser.visit(callback);
  expect(back.status).toBe(303);
  const confirmUrl = back.headers.location as string;
  const page = await browser.visit(confirmUrl);
  return { confirmUrl, page };
}

function projectIdOn(html: string, name: string): string {
  const match = new RegExp(`name="projectId" value="([^"]+)"[^>]*>\\s*${name}`).exec(html);
  if (!match?.[1]) throw new Error(`project ${name} not offered`);
  return match[1];
}

async function confirm(browser: Browser, confirmUrl: string, page: string, fields: Record<string, string> = {}) {
  return browser.app.post(confirmUrl).type("form").redirects(0)
    .send({ _csrf: csrfFrom(page), projectId: projectIdOn(page, "Website"), ...fields });
}

describe("setting up the integration from a flow's Inbox Settings", () => {
  it("when a signed-in owner authorizes and confirms, the source exists in the flow and its token is stored encrypted", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const { confirmUrl, page } = await reachConfirmation(browser);

    expect(page.status).toBe(200);
    expect(page.text).toContain("Acme Inc");
    expect(page.text).toContain("Main");
    expect(page.text).toMatch(/2\s+people/);

    const done = await confirm(browser, confirmUrl, page.text, { sourceName: "Website issues" });
    expect(done.status).toBe(303);
    const result = await browser.visit(done.headers.location as string);
    expect(result.text).toContain("Website now posts to Acme Inc / Main");
    expect(result.text).toContain(`${fd.url}/app/acme/main`);

    const [created] = await sourcesIn("main");
    expect(created).toMatchObject({ name: "Website issues" });
    const settings = await browser.flowdock.get("/app/acme/main/settings");
    expect(settings.text).toContain("Website issues");
    // Configure in Inbox Settings leads straight to this integration, set as the source was made.
    const configure = `http://app.test/flowdock/configure?integration_id=${created!.id}&amp;flow=${flows.main}`;
    expect(settings.text).toContain(`href="${configure}"`);
    expect(((await api(fd.url, `/flows/acme/main/sources/${created!.id}`, { token: await passwordToken(fd.url, "alice@example.com") })).body as { configuration_url: string }).configuration_url)
      .toBe(configure.replace("&amp;", "&"));
    expect((await app.db.auditEntry.findMany()).map((a) => [a.action, a.actorName])).toEqual([["integration.connected", "Dana Demo"]]);

    // The stored token is the real one (it posts), yet the row never holds it in plaintext.
    const [integration] = await app.db.integration.findMany();
    const flowToken = await integrationsRepository(app.db, createTokenCipher(app.config.tokenEncryptionKeys)).openFlowToken(integration!.id);
    const posted = await api(fd.url, "/messages", { method: "POST", body: { flow_token: flowToken, event: "discussion", author: { name: "Test" }, body: "hi", external_thread_id: "t1", thread: { title: "T" } } });
    expect(posted.status).toBe(202);
    const raw = async (table: string) => JSON.stringify(await app.db.$queryRawUnsafe(`SELECT * FROM "${table}"`), (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v));
    const rows = (await raw("Integration")) + (await raw("Session"));
    expect(rows).not.toContain(flowToken!);
    expect(rows).toContain("v1.dev.");
    // Once the source exists, no setup (and so no Flowdock access token) is left in the session.
    expect(rows).not.toContain("sealedAccessToken");

    const log = app.logText();
    expect(log).toContain("integration created");
    expect(log).not.toContain(flowToken!);
    expect(log).not.toContain(app.config.flowdock.clientSecret);
    // OAuth codes and states in redirect URLs are credentials too.
    expect(log).not.toMatch(/code=[A-Za-z0-9_-]{8,}/);
    expect(log).not.toMatch(/state=[A-Za-z0-9_-]{8,}/);
  });

  it("when nobody is signed in, the setup sends the person to sign in and back to the same flow", async () => {
    const browser = new Browser(app.app, fd.url);
    const start = await browser.visit(`/flowdock/setup?flow=${flows.main}`);
    expect(start.status).toBe(303);
    expect(start.headers.location).toBe("/sign-in");
    const signedIn = await browser.signInToApp();
    expect(signedIn.headers.location).toBe(`/flowdock/setup?flow=${flows.main}`);
    const again = await browser.visit(signedIn.headers.location as string);
    expect(again.status).toBe(302);
    expect(new URL(again.headers.location as string).searchParams.get("client_id")).toBe(app.config.flowdock.clientId);
  });

  it("when a new person signs up during setup, they come back to the setup and can connect their own project", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.visit(`/flowdock/setup?flow=${flows.main}`);
    const form = await browser.app.get("/sign-up");
    const created = await browser.app.post("/sign-up").type("form").redirects(0)
      .send({ _csrf: csrfFrom(form.text), name: "Nina New", email: "nina@example.com", password: "correct horse" });
    expect(created.status).toBe(303);
    expect(created.headers.location).toBe(`/flowdock/setup?flow=${flows.main}`);

    const { page } = await reachConfirmation(browser);
    expect(page.text).toContain("You don't belong to any project yet");
  });

  it("when the person declines on Flowdock's consent page, nothing is connected and they can start again", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const callback = await authorize(browser, flows.main, "deny");
    expect(callback).toContain("error=access_denied");
    const page = await browser.visit(callback);
    expect(page.status).toBe(403);
    expect(page.text).toContain("Authorization declined");
    expect(page.text).toContain(`/flowdock/setup?flow=${flows.main}`);
    expect(await sourcesIn("main")).toEqual([]);
    expect(await app.db.integration.count()).toBe(0);
  });

  it("when the state is tampered with, replayed or comes from another browser, the callback is refused", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const callback = await authorize(browser, flows.main);

    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${tampered.searchParams.get("state")}x`);
    const refused = await browser.visit(tampered.toString());
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("Setup could not be verified");

    const other = new Browser(app.app, fd.url);
    await other.signInToApp();
    expect((await other.visit(callback)).status).toBe(400);

    expect((await browser.visit(callback)).status).toBe(303);
    const replayed = await browser.visit(callback);
    expect(replayed.status).toBe(400);

    // Opened by hand, with nothing from Flowdock.
    expect((await browser.visit("/auth/flowdock/callback")).status).toBe(400);
    expect((await browser.visit("/auth/flowdock/callback?state=abc")).status).toBe(400);
  });

  it("when the setup link has no flow, a malformed flow or a flow_url off Flowdock, the person gets a 400 page and nothing starts", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    for (const query of ["", "?flow=", "?flow=%3Cscript%3E", `?flow=${"a".repeat(200)}`, `?flow=${flows.main}&flow_url=https://evil.example/flows/acme/main`, `?flow=${flows.main}&error=x`, `?flow=${flows.main}&code=abc`]) {
      const res = await browser.visit(`/flowdock/setup${query}`);
      expect(res.status, query).toBe(400);
      expect(res.text).toContain("This setup link doesn&#39;t work");
    }
    const json = await browser.app.get("/flowdock/setup").set("accept", "application/json");
    expect(json.body.error.code).toBe("BAD_REQUEST");
  });

  it("when the flow is unknown or not visible to the Flowdock user, the confirmation says so with a 404", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const unknown = await reachConfirmation(browser, crypto.randomUUID());
    expect(unknown.page.status).toBe(404);
    expect(unknown.page.text).toContain("Flow not found");

    const bobs = new Browser(app.app, fd.url);
    await bobs.signInToApp();
    const hidden = await reachConfirmation(bobs, flows.support, "bob@example.com");
    expect(hidden.page.status).toBe(404);
  });

  it("when the flow_url does not match the flow, the setup stops", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const start = await browser.visit(`/flowdock/setup?flow=${flows.main}&flow_url=${encodeURIComponent(`${fd.url}/flows/acme/support`)}`);
    await browser.signInToFlowdock();
    const back = await browser.visit(await browser.consent(start.headers.location as string, "approve"));
    const page = await browser.visit(back.headers.location as string);
    expect(page.status).toBe(400);
    expect(page.text).toContain("inconsistent");
  });

  it("when Flowdock answers 500 during the token exchange, the person sees Flowdock is unavailable and can start again", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const callback = await authorize(browser, flows.main);
    await fault("token", { status: 500, count: 1 });
    const page = await browser.visit(callback);
    expect(page.status).toBe(502);
    expect(page.text).toContain("Authorization could not be completed");
    expect(page.text).toContain(`/flowdock/setup?flow=${flows.main}`);
  });

  it("when Flowdock does not answer the token exchange at all, the callback gives up after the timeout", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const callback = await authorize(browser, flows.main);
    await fault("token", { status: "timeout", count: 1 });
    const page = await browser.visit(callback);
    expect(page.status).toBe(502);
    await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  });

  it("when Flowdock answers 500 while creating the source, nothing is stored and the person can retry", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const { confirmUrl, page } = await reachConfirmation(browser);
    await fault("api", { status: 500, count: 1 });
    const failed = await confirm(browser, confirmUrl, page.text);
    expect(failed.status).toBe(502);
    expect(failed.text).toContain("Flowdock is unavailable");
    expect(await app.db.integration.count()).toBe(0);

    const retried = await confirm(browser, confirmUrl, page.text);
    expect(retried.status).toBe(303);
    expect(await sourcesIn("main")).toHaveLength(1);
  });

  it("when the confirm form comes without its CSRF token, it is refused and nothing is created", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const { confirmUrl, page } = await reachConfirmation(browser);
    const res = await browser.app.post(confirmUrl).type("form").send({ projectId: projectIdOn(page.text, "Website") });
    expect(res.status).toBe(403);
    expect(await sourcesIn("main")).toEqual([]);
    expect(await app.db.integration.count()).toBe(0);
  });

  it("when the same project is set up again for the same flow, the existing source is shown and a second one is made only on request", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const first = await reachConfirmation(browser);
    expect((await confirm(browser, first.confirmUrl, first.page.text)).status).toBe(303);

    const second = await reachConfirmation(browser);
    expect(second.page.text).toContain("already connected");
    const shown = await confirm(browser, second.confirmUrl, second.page.text);
    expect(shown.status).toBe(409);
    expect(shown.text).toContain("This project already posts to this flow");
    expect(await sourcesIn("main")).toHaveLength(1);

    const another = await confirm(browser, second.confirmUrl, shown.text, { createAnother: "yes" });
    expect(another.status).toBe(303);
    expect(await sourcesIn("main")).toHaveLength(2);
    expect(await app.db.integration.count()).toBe(2);
  });

  it("when the person is not a member of the chosen project, it can't be connected", async () => {
    const stranger = await app.db.project.create({ data: { name: "Secret" } });
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const { confirmUrl, page } = await reachConfirmation(browser);
    const res = await browser.app.post(confirmUrl).type("form").send({ _csrf: csrfFrom(page.text), projectId: stranger.id });
    expect(res.status).toBe(403);
    expect(await sourcesIn("main")).toEqual([]);
  });

  it("when storing the integration fails after Flowdock created the source, the source is deleted again", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const { confirmUrl, page } = await reachConfirmation(browser);
    if (app.dbFile) {
      await app.db.$executeRawUnsafe(`CREATE TRIGGER refuse_integrations BEFORE INSERT ON "Integration" BEGIN SELECT RAISE(ABORT, 'disk is full'); END;`);
    } else {
      await app.db.$executeRawUnsafe(`CREATE FUNCTION refuse_integrations() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk is full'; END $$ LANGUAGE plpgsql`);
      await app.db.$executeRawUnsafe(`CREATE TRIGGER refuse_integrations BEFORE INSERT ON "Integration" FOR EACH ROW EXECUTE FUNCTION refuse_integrations()`);
    }

    const res = await confirm(browser, confirmUrl, page.text);
    expect(res.status).toBe(500);
    expect(res.text).toContain("The integration was not saved");
    expect(await sourcesIn("main")).toEqual([]);
    expect(app.logText()).toContain("the new source was deleted again");
  });

  it("when a setup id is unknown or expired, the confirmation page says the setup is gone", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const res = await browser.visit("/flowdock/setup/nope");
    expect(res.status).toBe(404);
    expect(res.text).toContain("Setup not found");
  });
});
