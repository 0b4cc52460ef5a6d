// What sessions keep and for how long: never an OAuth code, state or token; no
// row at all for an anonymous visitor with nothing to keep (their sign-in form's
// CSRF token rides in a cookie instead); and a sign-in ends after an absolute
// lifetime however active it is, beside the idle expiry. And requests running
// side by side (a redirect and the page it leads to; a page loaded with an
// older copy) never lose what another one saved.
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import type { SessionData } from "express-session";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { csrfFrom } from "../support/browser.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";
import { DatabaseSessionStore } from "../../src/web/session-store.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";

const postgres = await postgresAvailable();

let fd: LocalFlowdock;
let app: TestApp | undefined;
beforeEach(async () => { fd = await startTestFlowdock(); });
afterEach(async () => {
  await app?.close();
  await fd.close();
});

const storedSessions = async () => (await app!.db.session.findMany()).map((row) => row.data).join("\n");

describe("what a session keeps", () => {
  it("when Flowdock's callback is hit while signed out, neither its code nor its state is stored, before or after signing in", async () => {
    app = await startTestApp(fd.url);
    const agent = request.agent(app.app);
    const res = await agent.get("/auth/flowdock/callback?code=LEAKYCODE0123456789&state=LEAKYSTATE0123456789").redirects(0);
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(500);
    expect(await storedSessions()).not.toMatch(/LEAKYCODE|LEAKYSTATE/);

    const page = await agent.get("/sign-in");
    const signedIn = await agent.post("/sign-in").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).not.toMatch(/code=|state=/);
    expect(await storedSessions()).not.toMatch(/LEAKYCODE|LEAKYSTATE/);
  });

  it("when anonymous visitors view pages, including the sign-in and sign-up forms, no session row is written", async () => {
    app = await startTestApp(fd.url);
    for (let i = 0; i < 25; i++) {
      for (const path of ["/", "/sign-in", "/sign-up", "/no-such-page"]) await request(app.app).get(path);
    }
    expect(await app.db.session.count()).toBe(0);
  });

  it("when an anonymous visitor signs in from the form, its CSRF token still protects it and the session starts only then", async () => {
    app = await startTestApp(fd.url);
    const agent = request.agent(app.app);
    const page = await agent.get("/sign-in");
    const forged = await agent.post("/sign-in").type("form").redirects(0).send({ _csrf: "not-the-token", email: "demo@example.com", password: "demo" });
    expect(forged.status).toBe(403);
    const other = await request(app.app).post("/sign-in").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" });
    expect(other.status).toBe(403);
    expect(await app.db.session.count()).toBe(0);
    const ok = await agent.post("/sign-in").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" });
    expect(ok.status).toBe(303);
    expect(await app.db.session.count()).toBe(1);
    expect((await agent.get("/projects")).status).toBe(200);
  });
});

describe("how long a sign-in lasts", () => {
  it("when a person stays active past the absolute lifetime, they are signed out and their session row is gone", async () => {
    app = await startTestApp(fd.url, { SESSION_IDLE_TIMEOUT: "1h", SESSION_ABSOLUTE_TIMEOUT: "2s" });
    const agent = request.agent(app.app);
    const page = await agent.get("/sign-in");
    await agent.post("/sign-in").type("form").send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" }).expect(303);
    const started = Date.now();
    while (Date.now() - started < 1500) {
      expect((await agent.get("/projects").redirects(0)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 2100 - (Date.now() - started)));
    const after = await agent.get("/projects").redirects(0);
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe("/sign-in");
    expect(await storedSessions()).not.toMatch(/"passport"/);
  });

  it("when the idle and absolute timeouts are configured, the cookie carries the idle one", async () => {
    app = await startTestApp(fd.url, { SESSION_IDLE_TIMEOUT: "2h", SESSION_ABSOLUTE_TIMEOUT: "1d" });
    const agent = request.agent(app.app);
    const page = await agent.get("/sign-in");
    const res = await agent.post("/sign-in").type("form").send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" }).expect(303);
    const cookie = String(res.headers["set-cookie"]).match(/tracker\.sid=[^;]+;[^,]*Expires=([^;]+)/);
    const expires = new Date(cookie![1]!).getTime();
    expect(Math.abs(expires - (Date.now() + 2 * 3600_000))).toBeLessThan(60_000);
  });
});

describe("requests that run side by side", () => {
  it.skipIf(!postgres)("when a redirect changes the session, the browser gets it only once the session is saved, so the page it goes to next sees the change", async () => {
    // The save is held up by another transaction locking the sessions' table,
    // as a loaded database would hold it up: until then no header may leave.
    // (PostgreSQL, where such a lock leaves the rest of the request alone.)
    const scratch = await createScratchDatabase();
    app = await startTestApp(fd.url, { DATABASE_URL: scratch.url });
    const server = http.createServer(app.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const other = new pg.Client({ connectionString: scratch.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`LOCK TABLE "Session" IN EXCLUSIVE MODE`);
      let answered = false;
      // A signed-out visitor opening the setup link: the session keeps where
      // to come back to, and the answer is a redirect to the sign-in page.
      const setup = fetch(`${base}/flowdock/setup?flow=f1`, { redirect: "manual" }).then((res) => ((answered = true), res));
      await new Promise((r) => setTimeout(r, 500));
      expect(answered).toBe(false);
      await other.query("COMMIT");
      const res = await setup;
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/sign-in");
      expect(await storedSessions()).toContain('"returnTo":"/flowdock/setup?flow=f1"');
    } finally {
      await other.end();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
      app = undefined;
      await scratch.drop();
    }
  });

  it("when a page loaded with an older copy of the session finishes after a request that changed it, the change stays", async () => {
    app = await startTestApp(fd.url);
    const store = new DatabaseSessionStore(app.db);
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() };
    const older = { cookie, passport: { user: "u1" } } as unknown as SessionData;
    const changed = { cookie, passport: { user: "u1" }, flowdockSetups: { s1: { flowId: "f1", createdAt: Date.now() } } } as unknown as SessionData;
    await new Promise<void>((resolve, reject) => store.set("sid-1", older, (err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve, reject) => store.set("sid-1", changed, (err) => (err ? reject(err) : resolve())));
    // The page that loaded `older` ends, unchanged, and express-session touches it.
    await new Promise<void>((resolve) => store.touch("sid-1", { ...older, cookie: { ...cookie, expires: new Date(Date.now() + 7_200_000).toISOString() } } as unknown as SessionData, resolve));
    const kept = await new Promise<SessionData | null | undefined>((resolve, reject) => store.get("sid-1", (err, value) => (err ? reject(err) : resolve(value))));
    expect(kept?.flowdockSetups).toEqual(changed.flowdockSetups);
    expect((await app.db.session.findUniqueOrThrow({ where: { sid: "sid-1" } })).expiresAt.getTime()).toBeGreaterThan(Date.now() + 7_000_000);
  });

  it("when a session's expiry has passed, it no longer signs anybody in, while one written before the store read rows directly still does", async () => {
    app = await startTestApp(fd.url);
    const store = new DatabaseSessionStore(app.db);
    const data = (expires: Date) => JSON.stringify({ cookie: { originalMaxAge: 3_600_000, expires: expires.toISOString() }, passport: { user: "u1" } });
    // Rows as Prisma writes them, which is how every earlier version stored sessions.
    await app.db.session.create({ data: { id: "past", sid: "past", data: data(new Date(Date.now() - 1_000)), expiresAt: new Date(Date.now() - 1_000) } });
    await app.db.session.create({ data: { id: "live", sid: "live", data: data(new Date(Date.now() + 60_000)), expiresAt: new Date(Date.now() + 60_000) } });
    const get = (sid: string) => new Promise<SessionData | null | undefined>((resolve, reject) => store.get(sid, (err, value) => (err ? reject(err) : resolve(value))));
    expect(await get("past")).toBeNull();
    expect((await get("live"))?.passport).toEqual({ user: "u1" });
    expect(await get("unknown")).toBeNull();
    await new Promise<void>((resolve, reject) => store.destroy("live", (err) => (err ? reject(err) : resolve())));
    expect(await get("live")).toBeNull();
  });
});
