// Crafted input gets a clear 4xx and changes nothing, never a 5xx: invalid
// Unicode in JSON bodies, objects where text belongs, ids too big for the
// database, OAuth parameters given twice, an authorization code that expired
// or was already used, and a Basic header that is not valid percent-encoding.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

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

const LONE = "a\ud800b";

async function rowCounts() {
  return { users: await app.db.user.count(), projects: await app.db.project.count(), issues: await app.db.issue.count(), comments: await app.db.comment.count() };
}

describe("invalid Unicode and non-text values in bodies", () => {
  it("when a JSON field holds a lone surrogate, sign-in, sign-up, projects, issues and comments answer 400 and store nothing", async () => {
    const anon = request.agent(app.app);
    const csrf = csrfFrom((await anon.get("/sign-in")).text);
    const before = await rowCounts();
    const signIn = await anon.post("/sign-in").send({ _csrf: csrf, email: `demo${LONE}@example.com`, password: LONE });
    expect(signIn.status).toBe(400);
    const signUp = await anon.post("/sign-up").send({ _csrf: csrf, name: LONE, email: "lone@example.com", password: `long-password-${LONE}` });
    expect(signUp.status).toBe(400);

    const demo = await signedIn(app);
    const number = await demo.open({ title: "A fine issue" });
    const counted = await rowCounts();
    const json = (path: string, body: object) => demo.agent.post(path).redirects(0).send({ _csrf: demo.csrf, ...body });
    const base = `/projects/${demo.project.id}/issues`;
    for (const [path, body] of [
      ["/projects", { name: LONE }],
      [base, { title: LONE }],
      [`${base}/${number}`, { title: "ok", description: LONE }],
      [`${base}/${number}/comments`, { body: LONE }],
    ] as const) {
      const res = await json(path, body);
      expect(res.status, `${path}: ${res.text.slice(0, 200)}`).toBe(400);
      expect(res.text).toMatch(/not valid text/i);
    }
    expect(await rowCounts()).toEqual(counted);
    expect(counted.users).toBe(before.users);
  });

  it("when a JSON field that should be text is an object, the form is refused with a 400, not a crash", async () => {
    const demo = await signedIn(app);
    const base = `/projects/${demo.project.id}/issues`;
    for (const body of [{ title: { toString: 1 } }, { title: "", labels: { valueOf: 1 } }, { title: ["a", { b: 1 }] }]) {
      const res = await demo.agent.post(base).redirects(0).send({ _csrf: demo.csrf, ...body });
      expect(res.status).toBe(400);
    }
    const projects = await demo.agent.post("/projects").redirects(0).send({ _csrf: demo.csrf, name: { toString: 1 } });
    expect(projects.status).toBe(400);
    expect(await app.db.issue.count()).toBe(0);
  });
});

describe("ids and OAuth parameters", () => {
  it("when the configuration URI names a source id beyond 64 bits, it answers 400", async () => {
    const demo = await signedIn(app);
    await connectDemoProject(app, fd.url);
    for (const query of [
      `source_url=${encodeURIComponent(`${fd.url}/flows/acme/main/sources/99999999999999999999`)}&flow=f`,
      "integration_id=99999999999999999999&flow=f",
      "source=4294967296&flow=f",
    ]) {
      const res = await demo.agent.get(`/flowdock/configure?${query}`).redirects(0);
      expect(res.status, query).toBe(400);
    }
  });

  it("when the OAuth callback carries `error` twice, it answers 400 and says nothing about Flowdock being down", async () => {
    const demo = await signedIn(app);
    const res = await demo.agent.get("/auth/flowdock/callback?code=abc&error=access_denied&error=server_error&state=s").redirects(0);
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/unavailable/i);
  });

  it("when the authorization code expired or was already used, the person gets a 400 page that offers to start again and doesn't blame Flowdock", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const flowId = ((await api(fd.url, "/flows/acme/main", { token: await (await import("../support/local-flowdock.ts")).passwordToken(fd.url, "alice@example.com") })).body as { id: string }).id;
    const first = await browser.visit(`/flowdock/setup?flow=${flowId}`);
    const second = await browser.visit(`/flowdock/setup?flow=${flowId}`);
    await browser.signInToFlowdock();
    const callback = new URL(await browser.consent(first.headers.location as string, "approve"));
    expect((await browser.visit(callback.toString())).status).toBe(303);

    // The same (now used) code with the second setup's state.
    const used = new URL(callback);
    used.searchParams.set("state", new URL(second.headers.location as string).searchParams.get("state")!);
    const page = await browser.visit(used.toString());
    expect(page.status).toBe(400);
    expect(page.text).not.toMatch(/Flowdock did not complete|unavailable/i);
    expect(page.text).toMatch(/Start again/);

    const third = await browser.visit(`/flowdock/setup?flow=${flowId}`);
    const late = await browser.consent(third.headers.location as string, "approve");
    await api(fd.url, "/_simulator/clock", { method: "POST", body: { advanceMs: 10 * 60_000 } });
    const expired = await browser.visit(late);
    expect(expired.status).toBe(400);
    expect(expired.text).toMatch(/expired/i);
    expect(expired.text).not.toMatch(/unavailable/i);
  });
});

describe("the local Flowdock's pages", () => {
  it("when a page's form gets JSON with an object where text belongs, it answers 400 and registers nothing (found by the fuzz test)", async () => {
    const agent = request.agent(fd.url);
    const login = await agent.get("/login");
    await agent.post("/login").type("form").send({ _csrf: csrfFrom(login.text), email: "alice@example.com", password: "flowdock", return_to: "/app" }).expect(302);
    const page = await agent.get("/oauth/applications");
    const count = () => (fd.store.db.prepare("SELECT COUNT(*) AS n FROM applications").get() as { n: number }).n;
    const before = count();
    const res = await agent.post("/oauth/applications").send({ _csrf: csrfFrom(page.text), name: { toString: 1 }, callback_uri: "http://example.com/cb" });
    expect(res.status).toBe(400);
    expect(count()).toBe(before);
  });
});

describe("the local Flowdock's token endpoint", () => {
  it("when the Basic header is not valid percent-encoding, it answers 401 invalid_client", async () => {
    for (const credentials of [`%E0%A4%A:${TEST_CLIENT.clientSecret}`, `${TEST_CLIENT.clientId}:%`, "\u00ff%zz"]) {
      const res = await request(fd.url).post("/oauth/token").set("accept", "application/json")
        .set("authorization", `Basic ${Buffer.from(credentials, "latin1").toString("base64")}`).type("form").send({ grant_type: "authorization_code", code: "x" });
      expect(res.status, credentials).toBe(401);
      expect(res.body.error).toBe("invalid_client");
    }
  });
});
