// A Flowdock user the app doesn't know gets the documented challenge; its link
// works: the person signs in to Tracker, authorizes with Flowdock (the local
// one, over HTTP), and the accounts are linked only if Flowdock's /user is the
// user the link's claim was made for. Account settings show and remove the link.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import { signedIn } from "../support/tracker.ts";
import { SAM, signIn } from "../support/people.ts";
import { linkDirectly, press } from "../support/thread-actions.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
let aliceId: string;
beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
  const me = await api(fd.url, "/user", { token: await passwordToken(fd.url, "alice@example.com", "profile") });
  aliceId = String((me.body as { id: number }).id);
});
afterEach(async () => {
  await app.close();
  await fd.close();
});

async function openIssue() {
  const demo = await signedIn(app);
  const number = await demo.open({ title: "Footer link is broken" });
  return app.db.issue.findFirstOrThrow({ where: { projectId: demo.project.id, number } });
}

function challengeUrl(header: string | undefined): string {
  const match = /^Flowdock-Token url="([^"]+)"$/.exec(header ?? "");
  if (!match?.[1]) throw new Error(`not a Flowdock-Token challenge: ${header}`);
  return match[1];
}

/** From the challenge's link to Flowdock's answer at our callback, as `flowdockUser`. */
async function followChallenge(browser: Browser, link: string, flowdockUser: string) {
  const first = await browser.visit(link);
  expect(first.status).toBe(303);
  expect(first.headers.location).toBe("/sign-in");
  expect((await browser.visit("/sign-in")).text).toContain("Sign in to Tracker to act on issues from Flowdock");
  const signIn = await browser.signInToApp();
  expect(signIn.headers.location).toBe(link.slice("http://app.test".length));
  const page = await browser.visit(link);
  expect(page.status).toBe(200);
  expect(page.text).toContain("Link your Flowdock account");
  expect(page.text).toContain("Dana Demo");
  const start = await browser.app.post("/flowdock/link").type("form").redirects(0).send({ _csrf: csrfFrom(page.text) });
  expect(start.status).toBe(302);
  const authorizeUrl = start.headers.location as string;
  expect(authorizeUrl.startsWith(`${fd.url}/oauth/authorize?`)).toBe(true);
  expect(new URL(authorizeUrl).searchParams.get("scope")).toBe("profile");
  expect(new URL(authorizeUrl).searchParams.get("code_challenge_method")).toBe("S256");
  await browser.signInToFlowdock(flowdockUser);
  return browser.visit(await browser.consent(authorizeUrl, "approve"));
}

describe("linking a Flowdock user to a Tracker account", () => {
  it("when an unknown Flowdock user presses Close, the answer is the challenge, nothing changes, and its link links the accounts so the next press works", async () => {
    const issue = await openIssue();
    const refused = await press(app, issue.id, "close", aliceId);
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain("Link your Flowdock account");
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).status).toBe("open");
    const link = challengeUrl(refused.headers["www-authenticate"]);
    expect(link.startsWith("http://app.test/flowdock/link?claim=")).toBe(true);

    const browser = new Browser(app.app, fd.url);
    const back = await followChallenge(browser, link, "alice@example.com");
    expect(back.status, back.text).toBe(303);
    expect(back.headers.location).toBe("/account#flowdock");
    const settings = await browser.visit("/account");
    expect(settings.text).toContain("Your Flowdock account Alice Anders is linked.");
    expect(settings.text).toContain("<strong>Alice Anders</strong> (alice@example.com) is linked");
    const dana = await app.db.user.findUniqueOrThrow({ where: { email: "demo@example.com" } });
    expect(await app.db.flowdockLink.findMany({ select: { userId: true, flowdockUserId: true } })).toEqual([{ userId: dana.id, flowdockUserId: aliceId }]);

    // The claim and the action's token are credentials: neither reaches the log.
    expect(app.logText()).toContain("/flowdock/link?claim=[Redacted]");
    expect(app.logText()).not.toContain(new URL(link).searchParams.get("claim")!);
    const sentToken = String((refused as unknown as { req: { getHeader(name: string): unknown } }).req.getHeader("flowdock-token"));
    expect(sentToken).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(app.logText()).not.toContain(sentToken);

    const applied = await press(app, issue.id, "close", aliceId);
    expect(applied.status, applied.text).toBe(200);
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).status).toBe("closed");
  });

  it("when someone else authorizes with the challenge's link (bob for alice's claim), nothing is linked", async () => {
    const issue = await openIssue();
    const link = challengeUrl((await press(app, issue.id, "close", aliceId)).headers["www-authenticate"]);
    const back = await followChallenge(new Browser(app.app, fd.url), link, "bob@example.com");
    expect(back.status).toBe(403);
    expect(back.text).toContain("You authorized as Bob Berg in Flowdock, but the action was pressed by another Flowdock account");
    expect(await app.db.flowdockLink.count()).toBe(0);
  });

  it("when the link's claim is forged or altered, the page says the link can't be used and nothing is linked", async () => {
    const issue = await openIssue();
    const link = challengeUrl((await press(app, issue.id, "close", aliceId)).headers["www-authenticate"]);
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const altered = link.slice(0, -3) + (link.endsWith("AAA") ? "BBB" : "AAA");
    const page = await browser.visit(altered);
    expect(page.status).toBe(400);
    expect(page.text).toContain("This sign-in link has expired or is not valid");
    expect((await browser.app.post("/flowdock/link").type("form").redirects(0).send({ _csrf: csrfFrom((await browser.visit("/account")).text) })).status).toBe(400);
    expect(await app.db.flowdockLink.count()).toBe(0);
  });

  it("when the person removes the link in account settings, the next action asks them to sign in again", async () => {
    const issue = await openIssue();
    await linkDirectly(app, "demo@example.com", aliceId);
    const dana = await signedIn(app);
    const removed = await dana.agent.post("/account/flowdock-link/remove").type("form").redirects(0).send({ _csrf: dana.csrf });
    expect(removed.status).toBe(303);
    expect((await dana.agent.get("/account")).text).toContain("Your Flowdock account is no longer linked.");
    expect(await app.db.flowdockLink.count()).toBe(0);
    expect((await press(app, issue.id, "close", aliceId)).status).toBe(401);
  });

  it("when a linked person deletes their Tracker account, the link goes with it and the next action asks to sign in", async () => {
    const issue = await openIssue();
    await linkDirectly(app, SAM.email, aliceId);
    const sam = await signIn(app, SAM);
    expect((await sam.post("/account/delete", { password: SAM.password })).status).toBe(303);
    expect(await app.db.flowdockLink.count()).toBe(0);
    expect((await press(app, issue.id, "close", aliceId)).status).toBe(401);
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).status).toBe("open");
  });

  it("when the link is removed without the form's CSRF token, it stays", async () => {
    await linkDirectly(app, "demo@example.com", aliceId);
    const dana = await signedIn(app);
    expect((await dana.agent.post("/account/flowdock-link/remove").type("form").redirects(0).send({})).status).toBe(403);
    expect(await app.db.flowdockLink.count()).toBe(1);
  });
});
