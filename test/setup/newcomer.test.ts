// The newcomer's path: someone who comes from Flowdock's "add integration"
// without a Tracker account is told what they are connecting, signs up, and
// creates their first project right on the confirmation screen.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
let mainFlow: string;

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
  const token = await passwordToken(fd.url, "alice@example.com");
  mainFlow = ((await api(fd.url, "/flows/acme/main", { token })).body as { id: string }).id;
});

afterEach(async () => {
  await app.close();
  await fd.close();
});

/** From "add integration" through sign-up to the confirmation screen. */
async function signUpDuringSetup(browser: Browser) {
  await browser.visit(`/flowdock/setup?flow=${mainFlow}`);
  const form = await browser.app.get("/sign-up");
  const created = await browser.app.post("/sign-up").type("form").redirects(0)
    .send({ _csrf: csrfFrom(form.text), name: "Nina New", email: "nina@example.com", password: "correct horse" });
  expect(created.headers.location).toBe(`/flowdock/setup?flow=${mainFlow}`);
  const start = await browser.visit(created.headers.location as string);
  await browser.signInToFlowdock("alice@example.com");
  const back = await browser.visit(await browser.consent(start.headers.location as string, "approve"));
  const confirmUrl = back.headers.location as string;
  return { confirmUrl, page: await browser.visit(confirmUrl) };
}

async function sourcesInMain() {
  const res = await api(fd.url, "/flows/acme/main/sources", { token: await passwordToken(fd.url, "alice@example.com") });
  return res.body as { id: number; name: string }[];
}

describe("the newcomer's path", () => {
  it("when a signed-out person arrives from Flowdock, the sign-in and sign-up pages say they are connecting Tracker to a flow and what comes next", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.visit(`/flowdock/setup?flow=${mainFlow}&flow_url=${encodeURIComponent(`${fd.url}/flows/acme/main`)}`);
    const signIn = await browser.visit("/sign-in");
    expect(signIn.text).toContain("<h1>Sign in to Tracker to connect it to acme / main</h1>");
    expect(signIn.text).toContain("Flowdock asks you to let Tracker post to the flow.");
    const signUp = await browser.visit("/sign-up");
    expect(signUp.text).toContain("<h1>Create a Tracker account to connect it to acme / main</h1>");

    // Without flow_url only the flow's id is known before Flowdock authorizes us.
    const other = new Browser(app.app, fd.url);
    await other.visit(`/flowdock/setup?flow=${mainFlow}`);
    expect((await other.visit("/sign-in")).text).toContain("<h1>Sign in to Tracker to connect it to your Flowdock flow</h1>");
    // Outside a setup, the pages are the plain ones.
    expect((await new Browser(app.app, fd.url).visit("/sign-in")).text).toContain("<h1>Sign in</h1>");
  });

  it("when a new person without a project confirms, they name a project on the same screen, it is created with them as owner, and the flow gets its source", async () => {
    const browser = new Browser(app.app, fd.url);
    const { confirmUrl, page } = await signUpDuringSetup(browser);
    expect(page.status).toBe(200);
    expect(page.text).toContain("You don't belong to any project yet: name a new one");
    expect(page.text).not.toContain("come back to this page");
    expect(page.text).toMatch(/<input type="radio" name="projectId" value="new" checked>/);

    const blank = await browser.app.post(confirmUrl).type("form").redirects(0).send({ _csrf: csrfFrom(page.text), projectId: "new", newProjectName: " ", sourceName: "Nina's things" });
    expect(blank.status).toBe(400);
    expect(blank.text).toContain("Give the new project a name.");
    expect(blank.text).toContain('value="Nina&#39;s things"');
    expect(await app.db.project.count({ where: { memberships: { some: { user: { email: "nina@example.com" } } } } })).toBe(0);

    const done = await browser.app.post(confirmUrl).type("form").redirects(0).send({ _csrf: csrfFrom(page.text), projectId: "new", newProjectName: "Nina's shop" });
    expect(done.status).toBe(303);
    const project = await app.db.project.findFirstOrThrow({ where: { name: "Nina's shop" }, include: { memberships: { include: { user: true } }, integrations: true } });
    expect(project.memberships.map((m) => [m.user.email, m.role])).toEqual([["nina@example.com", "owner"]]);
    expect(project.integrations).toHaveLength(1);
    expect(done.headers.location).toBe(`/projects/${project.id}/integrations/${project.integrations[0]!.id}?created=1`);
    expect((await sourcesInMain()).map((s) => s.name)).toEqual(["Nina's shop"]);
  });

  it("when the chosen project is archived, it is not offered and can't be connected", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const website = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
    await app.db.project.update({ where: { id: website.id }, data: { archivedAt: new Date() } });
    const start = await browser.visit(`/flowdock/setup?flow=${mainFlow}`);
    await browser.signInToFlowdock("alice@example.com");
    const back = await browser.visit(await browser.consent(start.headers.location as string, "approve"));
    const page = await browser.visit(back.headers.location as string);
    expect(page.text).toMatch(new RegExp(`value="${website.id}"\\s+disabled>`));
    const refused = await browser.app.post(back.headers.location as string).type("form").redirects(0).send({ _csrf: csrfFrom(page.text), projectId: website.id });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("is archived, so it can&#39;t post to a flow");
    expect(await sourcesInMain()).toEqual([]);
  });
});
