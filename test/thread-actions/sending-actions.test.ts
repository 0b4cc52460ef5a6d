// The local Flowdock's side of thread actions, over real HTTP: the team inbox
// shows a thread's actions, and pressing one sends the documented request to
// the address the action names (and nowhere else, never following a
// redirect), then shows what came of it on the thread.
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { createAccount } from "../support/people.ts";
import { linkDirectly, untilFlowHas } from "../support/thread-actions.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let server: http.Server;
let appUrl: string;
let fd: LocalFlowdock;
let app: TestApp;
let worker: DeliveryWorker;
let aliceId: string;

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return { server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeEach(async () => {
  ({ server, url: appUrl } = await listen(() => undefined));
  fd = await startTestFlowdock({ actionTimeoutMs: 1500, integration: { name: "Tracker", clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, appBaseUrl: appUrl } });
  app = await startTestApp(fd.url, { APP_BASE_URL: appUrl });
  server.removeAllListeners("request");
  server.on("request", app.app);
  worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), { pollMs: 10 });
  worker.start();
  const me = await api(fd.url, "/user", { token: await passwordToken(fd.url, "alice@example.com", "profile") });
  aliceId = String((me.body as { id: number }).id);
});
afterEach(async () => {
  await worker.stop();
  await new Promise((resolve) => server.close(resolve));
  await app.close();
  await fd.close();
});

/** An issue of Website, delivered to acme/main. */
async function issueInFlow() {
  await connectDemoProject(app, fd.url);
  const demo = await signedIn(app);
  const number = await demo.open({ title: "Footer link is broken" });
  await untilFlowHas(fd.url, 1);
  return app.db.issue.findFirstOrThrow({ where: { projectId: demo.project.id, number } });
}

/** Alice in the local Flowdock's team inbox, pressing the button named `name`; answers the inbox page after. */
async function pressInInbox(browser: Browser, name: string): Promise<string> {
  const inbox = (await browser.flowdock.get("/app/acme/main")).text;
  const form = new RegExp(`<form method="post" action="([^"]+)" class="inline">\\s*<input type="hidden" name="_csrf" value="([^"]+)">\\s*<button type="submit"[^>]*>${name}</button>`).exec(inbox);
  if (!form) throw new Error(`no “${name}” button in the inbox`);
  const res = await browser.flowdock.post(form[1]!).type("form").redirects(0).send({ _csrf: form[2] });
  expect(res.status, res.text).toBe(303);
  return (await browser.flowdock.get("/app/acme/main")).text;
}

async function aliceInFlowdock() {
  const browser = new Browser(app.app, fd.url);
  await browser.signInToFlowdock("alice@example.com");
  return browser;
}

describe("pressing a thread's action in the local Flowdock", () => {
  it("when the thread arrives, the inbox shows Open in Tracker as a link and the update actions as buttons", async () => {
    const issue = await issueInFlow();
    const inbox = (await (await aliceInFlowdock()).flowdock.get("/app/acme/main")).text;
    expect(inbox).toContain(`href="${appUrl}/projects/${issue.projectId}/issues/1" rel="noopener noreferrer" title="Open the issue in Tracker">Open in Tracker</a>`);
    for (const name of ["Close", "Assign to me"]) expect(inbox).toMatch(new RegExp(`<button type="submit"[^>]*>${name}</button>`));
    expect(inbox).not.toMatch(/<button type="submit"[^>]*>Unassign<\/button>/);
  });

  it("when alice has no linked Tracker account, the inbox says Tracker needs her to sign in, with the challenge's link, and nothing changes", async () => {
    const issue = await issueInFlow();
    const after = await pressInInbox(await aliceInFlowdock(), "Close");
    expect(after).toContain("Tracker needs you to sign in before “Close” can be done.");
    expect(after).toMatch(new RegExp(`<a href="${appUrl}/flowdock/link\\?claim=[\\w.%-]+" target="_blank" rel="noopener noreferrer">Sign in to Tracker</a>`));
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).status).toBe("open");
  });

  it("when alice is linked, Close is done, the issue closes, and the thread turns red and offers Reopen", async () => {
    const issue = await issueInFlow();
    await linkDirectly(app, "demo@example.com", aliceId);
    const browser = await aliceInFlowdock();
    const after = await pressInInbox(browser, "Close");
    expect(after).toContain("Close: done. Closed #1 Footer link is broken.");
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).status).toBe("closed");
    await untilFlowHas(fd.url, 2);
    const inbox = (await browser.flowdock.get("/app/acme/main")).text;
    expect(inbox).toContain('<span class="status status-red">closed</span>');
    expect(inbox).toMatch(/<button type="submit"[^>]*>Reopen<\/button>/);
    expect(inbox).not.toContain("Close: done.");
  });

  it("when the linked account is not in the project, the inbox shows Tracker's refusal in its own words", async () => {
    await issueInFlow();
    await createAccount(app, "olga@example.com", "Olga Outsider");
    await linkDirectly(app, "olga@example.com", aliceId);
    const after = await pressInInbox(await aliceInFlowdock(), "Close");
    expect(after).toContain("Tracker refused “Close”: Olga Outsider is not a member of this issue&#39;s project in Tracker");
  });

  it("when an action names another address, the request goes there exactly as documented, and a redirect it answers is not followed", async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string; url: string | undefined; method: string | undefined }[] = [];
    let elsewhere = 0;
    const other = await listen((_req, res) => { elsewhere += 1; res.end("{}"); });
    const target = await listen((req, res) => {
      let body = "";
      req.on("data", (c) => { body += c; });
      req.on("end", () => {
        received.push({ headers: req.headers, body, url: req.url, method: req.method });
        if (req.url === "/redirect") res.writeHead(302, { location: `${other.url}/stolen` }).end();
        else res.writeHead(200, { "content-type": "application/json" }).end('{"message":"Assigned to you."}');
      });
    });
    try {
      const { source } = await createSource(fd.url, "Custom");
      const action = (name: string, path: string) => ({ "@type": "UpdateAction", name, target: { "@type": "EntryPoint", urlTemplate: `${target.url}${path}`, httpMethod: "POST" } });
      const posted = await api(fd.url, "/messages", { method: "POST", body: {
        flow_token: source.flow_token, event: "activity", title: "opened", author: { name: "Bot" }, external_thread_id: "custom:1",
        thread: { title: "Custom thread", actions: [action("Take it", "/issues/42/assign?x=1"), action("Bounce", "/redirect")] },
      } });
      expect(posted.status).toBe(202);
      const browser = await aliceInFlowdock();

      const done = await pressInInbox(browser, "Take it");
      expect(done).toContain("Take it: done. Assigned to you.");
      const [request] = received;
      expect(request!.method).toBe("POST");
      expect(request!.url).toBe("/issues/42/assign?x=1");
      expect(request!.headers["content-type"]).toBe("application/json");
      const body = JSON.parse(request!.body);
      expect(body).toEqual({ ...action("Take it", "/issues/42/assign?x=1"), agent: { "@type": "Person", id: aliceId, name: "Alice Anders", image: expect.stringMatching(/^https:\/\//) } });
      const { payload, protectedHeader } = await jwtVerify(String(request!.headers["flowdock-token"]), new TextEncoder().encode(TEST_CLIENT.clientSecret));
      expect(protectedHeader.alg).toBe("HS256");
      expect(payload.sub).toBe(aliceId);
      expect(payload.signature).toBe(crypto.createHash("sha256").update(request!.body).digest("hex"));
      expect(payload.exp! - payload.iat!).toBe(30);

      const bounced = await pressInInbox(browser, "Bounce");
      expect(bounced).toContain("Tracker refused “Bounce”: It answered with a redirect, which Flowdock does not follow.");
      expect(received).toHaveLength(2);
      expect(elsewhere).toBe(0);
    } finally {
      await new Promise((resolve) => target.server.close(resolve));
      await new Promise((resolve) => other.server.close(resolve));
    }
  });

  it("when the integration never answers, or fails, the inbox says the action was not done", async () => {
    const hung: http.ServerResponse[] = [];
    const target = await listen((req, res) => {
      if (req.url === "/hang") hung.push(res);
      else res.writeHead(503).end("down");
    });
    try {
      const { source } = await createSource(fd.url, "Custom");
      const action = (name: string, path: string) => ({ "@type": "UpdateAction", name, target: { "@type": "EntryPoint", urlTemplate: `${target.url}${path}`, httpMethod: "POST" } });
      await api(fd.url, "/messages", { method: "POST", body: {
        flow_token: source.flow_token, event: "activity", title: "opened", author: { name: "Bot" }, external_thread_id: "custom:2",
        thread: { title: "Slow thread", actions: [action("Wait", "/hang"), action("Fail", "/fail")] },
      } });
      const browser = await aliceInFlowdock();
      expect(await pressInInbox(browser, "Wait")).toContain("“Wait” was not done: Tracker did not answer within 1.5 seconds. Try again later.");
      expect(await pressInInbox(browser, "Fail")).toContain("“Fail” was not done: Tracker answered with an error (HTTP 503). Try again later.");
    } finally {
      for (const res of hung) res.destroy();
      await new Promise((resolve) => target.server.close(resolve));
    }
  });

  it("when the button is pressed without the page's CSRF token, nothing is sent", async () => {
    await issueInFlow();
    await linkDirectly(app, "demo@example.com", aliceId);
    const browser = await aliceInFlowdock();
    const inbox = (await browser.flowdock.get("/app/acme/main")).text;
    const action = /<form method="post" action="([^"]+\/actions\/1)"/.exec(inbox)![1]!;
    expect(csrfFrom(inbox)).toBeTruthy();
    const res = await browser.flowdock.post(action).type("form").redirects(0).send({});
    expect(res.status).toBe(403);
    expect((await app.db.issue.findFirstOrThrow()).status).toBe("open");
  });
});
