// The pages a Flowdock user sees: sign-in, the team inbox, Inbox Settings and
// Developer applications.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, APP_BASE_URL, createSource, startTestFlowdock } from "../support/local-flowdock.ts";
import { csrfFrom } from "../support/browser.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
beforeEach(async () => { fd = await startTestFlowdock(); });
afterEach(async () => { await fd.close(); });

async function signedIn(email = "alice@example.com") {
  const agent = request.agent(fd.url);
  const page = await agent.get("/login");
  await agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email, password: "flowdock", return_to: "/app" }).expect(302);
  return agent;
}

const post = (flowToken: string, body: Record<string, unknown>) => api(fd.url, "/messages", { method: "POST", body: { flow_token: flowToken, author: { name: "Dana" }, ...body } });

describe("signing in", () => {
  it("when the password is wrong, the page says so and nobody is signed in", async () => {
    const agent = request.agent(fd.url);
    const page = await agent.get("/login");
    const res = await agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email: "alice@example.com", password: "nope", return_to: "/app" }).expect(401);
    expect(res.text).toContain("don&#39;t match");
    expect((await agent.get("/app")).status).toBe(302);
  });

  it("when signed out, flow pages send people to sign in", async () => {
    const res = await request(fd.url).get("/app/acme/main");
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^\/login/);
  });
});

describe("the team inbox", () => {
  it("when a source posts, its thread shows newest first with status, fields, link and messages in order, and HTML is made safe", async () => {
    const { source } = await createSource(fd.url);
    const thread = { title: "Broken link", external_url: "http://app.test/issues/1", status: { color: "red", value: "closed" }, fields: [{ label: "Priority", value: "high" }] };
    await post(source.flow_token, { event: "activity", title: "opened the issue", external_thread_id: "i1", thread });
    await post(source.flow_token, { event: "discussion", body: "<p>Looks bad</p><script>alert(1)</script>", external_thread_id: "i1", thread });
    await post(source.flow_token, { event: "activity", title: "opened another", external_thread_id: "i2", thread: { title: "Second issue" } });
    const page = (await (await signedIn()).get("/app/acme/main").expect(200)).text;
    expect(page.indexOf("Second issue")).toBeLessThan(page.indexOf("Broken link"));
    expect(page).toContain("closed");
    expect(page).toMatch(/status-red|red/);
    expect(page).toContain("Priority");
    expect(page).toContain('href="http://app.test/issues/1"');
    expect(page.indexOf("opened the issue")).toBeLessThan(page.indexOf("Looks bad"));
    expect(page).not.toContain("<script>alert(1)</script>");
  });

  it("when a person is not in the flow, its pages are 404", async () => {
    const bob = await signedIn("bob@example.com");
    expect((await bob.get("/app/acme/support")).status).toBe(404);
    expect((await bob.get("/app/acme/support/settings")).status).toBe(404);
  });
});

describe("Inbox Settings", () => {
  it("when a source has an error message, it is shown prominently with Configure and Remove, and add-integration leads to the setup URI", async () => {
    const { source } = await createSource(fd.url, "Website");
    await api(fd.url, "/sources", { method: "PUT", body: { flow_token: source.flow_token, error_message: "Token expired, please reconnect" } });
    const flow = (await api(fd.url, "/flows/acme/main", { token: (await createSource(fd.url, "Other")).userToken })).body as { id: string };
    const page = (await (await signedIn()).get("/app/acme/main/settings").expect(200)).text;
    expect(page).toContain("Tracker</strong> · Website");
    expect(page).toMatch(/role="alert"><strong>Error:<\/strong> Token expired, please reconnect/);
    expect(page).toContain(`${APP_BASE_URL}/flowdock/configure?integration_id=${source.id}&amp;flow=${flow.id}`);
    expect(page).toContain(`${APP_BASE_URL}/flowdock/setup?flow=${flow.id}`);
  });

  it("when Remove is pressed, Flowdock asks first; confirming deletes the source; without the form's CSRF token nothing happens", async () => {
    const { source } = await createSource(fd.url);
    const alice = await signedIn();
    const settings = await alice.get("/app/acme/main/settings");
    // Remove is a link to a confirmation, never a one-click delete.
    expect(settings.text).not.toMatch(/<form[^>]+\/remove"/);
    const page = await alice.get(`/app/acme/main/sources/${source.id}/remove`).expect(200);
    expect(page.text).toContain("Remove Tracker · Website?");
    expect(page.text).toContain("will no longer post to");
    expect((await post(source.flow_token, { event: "activity", title: "t", external_thread_id: "x", thread: { title: "T" } })).status).toBe(202);
    await alice.post(`/app/acme/main/sources/${source.id}/remove`).type("form").send({}).expect(403);
    expect((await post(source.flow_token, { event: "activity", title: "t", external_thread_id: "x", thread: { title: "T" } })).status).toBe(202);
    await alice.post(`/app/acme/main/sources/${source.id}/remove`).type("form").send({ _csrf: csrfFrom(page.text) }).expect(303);
    expect((await post(source.flow_token, { event: "activity", title: "t", external_thread_id: "x", thread: { title: "T" } })).status).toBe(410);
  });
});

describe("Developer applications", () => {
  it("when a developer registers an application, its client id and secret are shown and setup can start for a chosen flow", async () => {
    const alice = await signedIn();
    const list = await alice.get("/oauth/applications").expect(200);
    const created = await alice.post("/oauth/applications").type("form").send({
      _csrf: csrfFrom(list.text), name: "Poller", callback_uri: "https://poller.example/cb", setup_uri: "https://poller.example/setup", configuration_uri: "",
    }).expect(303);
    const page = (await alice.get(created.headers.location as string).expect(200)).text;
    expect(page).toContain("Client ID");
    expect(page).toMatch(/Client secret<\/dt><dd><code>[^<]{16,}<\/code>/);
    expect(page).toMatch(/href="https:\/\/poller\.example\/setup\?flow=[^"]+">Start setup process for Acme Inc \/ Main/);
  });

  it("when the callback URI is not a URL, the form comes back with the error and nothing is registered", async () => {
    const alice = await signedIn();
    const list = await alice.get("/oauth/applications");
    const res = await alice.post("/oauth/applications").type("form").send({ _csrf: csrfFrom(list.text), name: "Bad", callback_uri: "javascript:alert(1)" }).expect(400);
    expect(res.text).toContain("must be an http(s) URL");
    expect((await alice.get("/oauth/applications")).text).not.toContain(">Bad<");
  });
});
