// More than 10,000 generated requests across every route of both servers (the
// app and the local Flowdock): any method, odd ids in the path, query strings,
// headers, bodies in every encoding, invalid Unicode, as an anonymous visitor
// and as a signed-in one with valid CSRF tokens and OAuth tokens. None may get
// a 5xx, and a refused request (4xx) must leave both databases as they were
// (sessions and rate-limit counters aside: refusals rightly move those).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSource, passwordToken, startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import { startTestApp, TEST_DATABASE, type TestApp } from "../support/app.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { listRoutes, type RouteInfo } from "../support/routes.ts";
import { PostgresWatcher, requestArb, send, SqliteWatcher, withFormFields, type FuzzRequest, type FuzzRoute, type Identity, type Watcher } from "../support/fuzz-requests.ts";
import { createLocalFlowdockApp } from "../../src/local-flowdock/app.ts";
import { createApp } from "../../src/app.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

// On SQLite (the first pass of .ci/run) the two runs send over 10,000 requests.
// The PostgreSQL pass repeats the app's run with fewer: there every check hashes
// each table on the server, which costs a round trip per request.
const ON_POSTGRES = TEST_DATABASE === "postgresql";
const APP_RUNS = ON_POSTGRES ? 1_500 : 5_500;
const FLOWDOCK_RUNS = ON_POSTGRES ? 500 : 4_700;
const AT_LEAST = ON_POSTGRES ? 2_000 : 10_000;
// Sessions and rate-limit counters: a refused request may rightly write these.
const APP_IGNORED = ["Session", "RateLimit", "_prisma_migrations"];
const FLOWDOCK_IGNORED = ["web_sessions", "rate_limits"];

let dir: string;
let fd: LocalFlowdock;
let app: TestApp;
let appServer: http.Server;
let appUrl: string;
let sent = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fuzz-"));
  // A file, not :memory:, so the watcher can read the local Flowdock's data through a connection of its own.
  fd = await startTestFlowdock({ databasePath: path.join(dir, "flowdock.db") });
  app = await startTestApp(fd.url);
  // The same app on the same database, logging nothing (the test app logs every line at trace level).
  appServer = http.createServer(createApp({ config: app.config, db: app.db, logger: createLogger({ level: "silent", name: "fuzz" }) }));
  await new Promise<void>((resolve) => appServer.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => { appServer.close(() => resolve()); appServer.closeAllConnections(); });
  await app.close();
  await fd.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A browser signed in to `baseUrl`: its cookies and a CSRF token from `formPage`. */
async function signIn(baseUrl: string, loginPath: string, fields: Record<string, string>, formPage: string): Promise<Identity> {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const c of res.headers.getSetCookie()) { const [pair] = c.split(";"); const [k, v] = pair!.split("="); jar.set(k!, v!); }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const login = await fetch(`${baseUrl}${loginPath}`, { redirect: "manual" });
  remember(login);
  const signedIn = await fetch(`${baseUrl}${loginPath}`, {
    method: "POST", redirect: "manual", headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrfOf(await login.text())!, ...fields }),
  });
  expect(signedIn.status).toBeLessThan(400);
  remember(signedIn);
  const page = await fetch(`${baseUrl}${formPage}`, { headers: { cookie: cookie() } });
  return { cookie: cookie(), csrf: csrfOf(await page.text()) };
}

function describeRequest(req: FuzzRequest): string {
  return `${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 300)} ${req.body?.toString("utf8").slice(0, 300) ?? ""}`;
}

async function fuzz(baseUrl: string, routes: FuzzRoute[], ids: string[], valid: Record<string, string>, identity: Identity, watchers: Watcher[], numRuns: number) {
  const statuses = new Map<number, number>();
  await fc.assert(fc.asyncProperty(requestArb(routes, ids, identity, valid), async (req) => {
    const res = await send(baseUrl, req);
    sent++;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const changed = (await Promise.all(watchers.map((w) => w.changedTables()))).flat();
    expect(res.status, `${describeRequest(req)}\n→ ${res.text.slice(0, 500)}`).toBeLessThan(500);
    if (res.status >= 400) expect(changed, `a refused request changed data: ${describeRequest(req)} → ${res.status}`).toEqual([]);
  }), { numRuns, endOnFailure: true });
  return Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
}

describe("thousands of generated requests", () => {
  it("when the app gets any request on any route, it never answers 5xx and a refused request changes nothing", async () => {
    const { integration } = await connectDemoProject(app, fd.url);
    const opener = await signedIn(app);
    for (const title of ["First", "Second"]) await opener.open({ title, labels: "bug" });
    const demo = await signIn(appUrl, "/sign-in", { email: "demo@example.com", password: "demo" }, "/projects");
    const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
    const users = await app.db.user.findMany({ select: { id: true, email: true } });
    const member = users.find((u) => u.email !== "demo@example.com") ?? users[0]!;
    const valid = { projectId: project.id, number: "1", integrationId: integration.id, userId: member.id, deliveryId: "1" };
    const found: RouteInfo[] = [...listRoutes(app.app), { path: "/healthz", methods: ["GET"] }, { path: "/assets/app.css", methods: ["GET"] }, { path: "/no/such/page", methods: ["GET", "POST"] }];
    expect(found.length).toBeGreaterThan(30);
    const routes = await withFormFields(appUrl, found, valid, demo.cookie);
    console.info("app: form fields found for", routes.filter((r) => r.fields?.length).length, "of", routes.length, "routes");
    const ids = [project.id, integration.id, String(integration.sourceId), "1", "2", ...users.map((u) => u.id)];
    const appData = app.dbFile ? new SqliteWatcher(app.dbFile, APP_IGNORED) : await PostgresWatcher.open(app.config.databaseUrl, APP_IGNORED);
    const watchers = [appData, new SqliteWatcher(path.join(dir, "flowdock.db"), FLOWDOCK_IGNORED)];
    const before = await appData.counts();
    const statuses = await fuzz(appUrl, routes, ids, valid, demo, watchers, APP_RUNS);
    console.info("app: answers by status", statuses, "rows before", before, "after", await appData.counts());
    await Promise.all(watchers.map((w) => w.close()));
    expect((await fetch(`${appUrl}/healthz`)).status).toBe(200);
  }, 400_000);

  it("when the local Flowdock gets any request on any route, it never answers 5xx and a refused request changes nothing", async () => {
    const { source, userToken } = await createSource(fd.url);
    const bobToken = await passwordToken(fd.url, "bob@example.com");
    const alice = await signIn(fd.url, "/login", { email: "alice@example.com", password: "flowdock", return_to: "/app" }, "/app/acme/main/settings");
    const flowdock = createLocalFlowdockApp(fd.ctx, { reset: async () => {}, advanceClock: () => {}, checkReady: () => {} });
    // The control API (tests and demos only) can inject 5xx on purpose and wipe everything: here it is only
    // sent what it must refuse (another site's Origin), so every control request must be a 4xx that changes nothing.
    const valid = { organization: "acme", flow: "main", id: String(source.id), target: "messages", index: "0" };
    const routes = await withFormFields(fd.url, [...listRoutes(flowdock), { path: "/assets/flowdock.css", methods: ["GET"] }, { path: "/no/such/page", methods: ["GET", "POST"] }], valid, alice.cookie);
    const identity: Identity = {
      ...alice,
      authorizations: [`Bearer ${userToken}`, `Bearer ${bobToken}`, `Bearer ${source.flow_token}`,
        `Basic ${Buffer.from(`${TEST_CLIENT.clientId}:${TEST_CLIENT.clientSecret}`).toString("base64")}`],
    };
    const ids = ["acme", "main", "support", String(source.id), "1", source.flow_token];
    const watcher = new SqliteWatcher(path.join(dir, "flowdock.db"), FLOWDOCK_IGNORED);
    const before = await watcher.counts();
    const controlOnlyRefused = requestArb(routes, ids, identity, valid).map((req) => (req.path.startsWith("/_simulator") ? { ...req, headers: { ...req.headers, origin: "http://evil.example" } } : req));
    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(controlOnlyRefused, async (req) => {
      const res = await send(fd.url, req);
      sent++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const changed = await watcher.changedTables();
      expect(res.status, `${describeRequest(req)}\n→ ${res.text.slice(0, 500)}`).toBeLessThan(500);
      if (req.path.startsWith("/_simulator")) expect(res.status).toBeGreaterThanOrEqual(400);
      if (res.status >= 400) expect(changed, `a refused request changed data: ${describeRequest(req)} → ${res.status}`).toEqual([]);
    }), { numRuns: FLOWDOCK_RUNS, endOnFailure: true });
    console.info("local Flowdock: answers by status", Object.fromEntries([...statuses].sort(([a], [b]) => a - b)), "rows before", before, "after", await watcher.counts());
    await watcher.close();
    expect((await fetch(`${fd.url}/healthz`)).status).toBe(200);
  }, 400_000);

  it("when both runs are done, more than 10,000 requests were sent (on SQLite)", () => {
    expect(sent).toBeGreaterThanOrEqual(AT_LEAST);
  });
});
