// The production shape on one PostgreSQL database: two app instances behind a
// load balancer with no sticky sessions, and two delivery workers run alone.
// A setup started on one instance is finished on the other; a sign-in on one
// is a sign-in on both; the sign-in limit counts attempts across both; and the
// events made through both reach Flowdock once each, sent by both workers.
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import { allMessages, until } from "../support/tracker.ts";
import { startLoadBalancer, type LoadBalancer } from "../support/load-balancer.ts";
import { exited, freePort, spawnWorker } from "../support/worker-process.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const available = await postgresAvailable();
const TOKEN = "metrics-token-for-tests-0123";

describe.skipIf(!available)("two app instances and two workers on one PostgreSQL database", () => {
  let fd: LocalFlowdock;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let a: TestApp;
  let b: TestApp;
  let lb: LoadBalancer;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    fd = await startTestFlowdock();
    a = await startTestApp(fd.url, { DATABASE_URL: scratch.url });
    b = await startTestApp(fd.url, { DATABASE_URL: scratch.url });
    lb = await startLoadBalancer([a.app, b.app]);
  });
  afterAll(async () => {
    await lb?.close();
    await a?.close();
    await b?.close();
    await fd?.close();
    await scratch?.drop();
  });

  it("when a setup starts on one instance and finishes on the other, the integration is created and its source exists in the flow", async () => {
    const browser = new Browser(lb.url, fd.url);
    lb.pin(0);
    await browser.signInToApp();
    const flow = (await api(fd.url, "/flows/acme/main", { token: await passwordToken(fd.url, "alice@example.com") })).body as { id: string };
    const start = await browser.visit(`/flowdock/setup?flow=${encodeURIComponent(flow.id)}`);
    expect(start.status).toBe(302);
    await browser.signInToFlowdock();
    const callback = await browser.consent(start.headers.location as string, "approve");

    // Everything from Flowdock's answer on goes to the other instance.
    lb.pin(1);
    const back = await browser.visit(callback);
    expect(back.status).toBe(303);
    const confirmUrl = back.headers.location as string;
    const page = await browser.visit(confirmUrl);
    expect(page.status).toBe(200);
    const projectId = /name="projectId" value="([^"]+)"[^>]*>\s*Website/.exec(page.text)?.[1];
    const done = await browser.app.post(confirmUrl).type("form").redirects(0).send({ _csrf: csrfFrom(page.text), projectId });
    expect(done.status).toBe(303);
    lb.pin(null);

    const integrations = await b.db.integration.findMany();
    expect(integrations).toHaveLength(1);
    const sources = (await api(fd.url, "/flows/acme/main/sources", { token: await passwordToken(fd.url, "alice@example.com") })).body as { id: number }[];
    expect(sources.map((s) => s.id)).toEqual([integrations[0]!.sourceId]);
  });

  it("when someone signs in through one instance, the other knows them; and signing out on one signs them out of both", async () => {
    const browser = new Browser(lb.url, fd.url);
    lb.pin(0);
    await browser.signInToApp();
    lb.pin(1);
    expect((await browser.visit("/projects")).status).toBe(200);
    const csrf = csrfFrom((await browser.visit("/projects")).text);
    expect((await browser.app.post("/sign-out").type("form").send({ _csrf: csrf }).redirects(0)).status).toBe(303);
    lb.pin(0);
    expect((await browser.visit("/projects")).status).toBe(303);
    lb.pin(null);
  });

  it("when wrong passwords for one account are spread over both instances, the limit counts them together", async () => {
    const attempt = async () => {
      const agent = request.agent(lb.url);
      const page = await agent.get("/sign-in");
      return agent.post("/sign-in").type("form").send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "wrong" }).redirects(0);
    };
    const limit = a.config.limits.signInPerAccount!.points;
    const servedBefore = [...lb.served];
    for (let i = 0; i < limit; i++) expect((await attempt()).status).not.toBe(429);
    expect(lb.served[0]! - servedBefore[0]!).toBeGreaterThan(0);
    expect(lb.served[1]! - servedBefore[1]!).toBeGreaterThan(0);
    expect((await attempt()).status).toBe(429);
    expect((await attempt()).status).toBe(429);
  });

  it("when events are made through both instances while two workers deliver, every one reaches Flowdock exactly once and both workers took part", { timeout: 120_000 }, async () => {
    expect(await a.db.integration.count()).toBe(1);
    await a.db.rateLimit.deleteMany();
    const ports = [await freePort(), await freePort()];
    // Posts take a moment, so neither worker can drain the outbox alone before the other claims.
    await api(fd.url, "/_simulator/faults/messages", { method: "PUT", body: { latencyMs: 60 } });
    const workers = ports.map((port) => spawnWorker({ DATABASE_URL: scratch.url, FLOWDOCK_API_URL: fd.url, WORKER_PORT: String(port), METRICS_TOKEN: TOKEN }));
    try {
      for (const port of ports) await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 30_000, "a worker to be ready");
      const agent = request.agent(lb.url);
      const signIn = await agent.get("/sign-in");
      await agent.post("/sign-in").type("form").send({ _csrf: csrfFrom(signIn.text), email: "demo@example.com", password: "demo" }).expect(303);
      const project = await a.db.project.findFirstOrThrow({ where: { name: "Website" } });
      const csrf = csrfFrom((await agent.get(`/projects/${project.id}/issues/new`)).text);
      const ISSUES = 20;
      for (let i = 0; i < ISSUES; i++) {
        const opened = await agent.post(`/projects/${project.id}/issues`).type("form").redirects(0).send({ _csrf: csrf, title: `Across instances ${i}` });
        expect(opened.status).toBe(303);
        const issuePath = String(opened.headers.location);
        await agent.post(`${issuePath}/comments`).type("form").redirects(0).send({ _csrf: csrf, body: `first on ${i}` }).expect(303);
        await agent.post(`${issuePath}/comments`).type("form").redirects(0).send({ _csrf: csrf, body: `second on ${i}` }).expect(303);
      }
      const total = ISSUES * 3;
      await until(async () => (await a.db.outboxMessage.count({ where: { status: "sent" } })) === total, 90_000, "every event to be sent");

      const messages = await allMessages(fd.url);
      expect(messages).toHaveLength(total);
      expect(new Set(messages.map((m) => m.uuid)).size).toBe(total);
      const sentBy = await Promise.all(ports.map(async (port) => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
        return Number(/^tracker_deliveries_total\{outcome="sent"\} (\d+)$/m.exec(text)?.[1]);
      }));
      expect(sentBy[0]! + sentBy[1]!).toBe(total);
      expect(sentBy.every((n) => n > 0)).toBe(true);
    } finally {
      for (const w of workers) w.kill("SIGTERM");
      await Promise.all(workers.map(exited));
      await api(fd.url, "/_simulator/faults", { method: "DELETE" });
    }
  });
});
