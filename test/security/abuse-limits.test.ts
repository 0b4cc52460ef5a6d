// Brute force and floods are slowed down: sign-in per account and per client,
// sign-up, the setup URI, and the local Flowdock's sign-in page and password
// grant each answer 429 with when to try again once their limit is used up,
// and the counters live in the database, so every app instance shares them.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { csrfFrom } from "../support/browser.ts";
import { createApp } from "../../src/app.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
beforeEach(async () => {
  fd = await startTestFlowdock({ signInLimit: { points: 3, durationSeconds: 600 } });
  app = await startTestApp(fd.url, {
    SIGN_IN_LIMIT_PER_ACCOUNT: "3/10m",
    SIGN_IN_LIMIT_PER_CLIENT: "6/10m",
    SIGN_UP_LIMIT_PER_CLIENT: "2/10m",
    SETUP_LIMIT_PER_USER: "2/10m",
  });
});
afterEach(async () => {
  await app.close();
  await fd.close();
});

async function signInAttempt(target: Parameters<typeof request.agent>[0], email: string, password: string, ip = "203.0.113.7") {
  const agent = request.agent(target);
  const page = await agent.get("/sign-in");
  return agent.post("/sign-in").set("x-forwarded-for", ip).type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email, password });
}

describe("abuse limits on our app", () => {
  it("when one account gets too many wrong passwords, even the right one is refused with a 429 page saying when to try again", async () => {
    for (let i = 0; i < 3; i++) expect((await signInAttempt(app.app, "demo@example.com", `wrong-${i}`)).status).toBe(401);
    const right = await signInAttempt(app.app, "demo@example.com", "demo");
    expect(right.status).toBe(429);
    expect(Number(right.headers["retry-after"])).toBeGreaterThan(0);
    expect(right.headers["content-type"]).toMatch(/html/);
    expect(right.text).toMatch(/Too many attempts/i);
    expect(right.text).toMatch(/try again in \d+ minutes?/i);
  });

  it("when one client tries many accounts, it is stopped; a JSON client gets a JSON 429", async () => {
    for (let i = 0; i < 6; i++) expect((await signInAttempt(app.app, `nobody${i}@example.com`, "x")).status).toBe(401);
    const agent = request.agent(app.app);
    const page = await agent.get("/sign-in");
    const res = await agent.post("/sign-in").set("accept", "application/json").type("form").send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe("RATE_LIMITED");
    expect(res.body.error.retryAfterSeconds).toBeGreaterThan(0);
    expect(Number(res.headers["retry-after"])).toBe(res.body.error.retryAfterSeconds);
  });

  it("when the counters live in the database, a second app instance on it refuses the same account", async () => {
    for (let i = 0; i < 3; i++) await signInAttempt(app.app, "demo@example.com", `wrong-${i}`);
    const second = createApp({ config: app.config, db: app.db, logger: createLogger({ level: "silent", name: "second" }) });
    expect((await signInAttempt(second, "demo@example.com", "demo")).status).toBe(429);
    expect(await app.db.rateLimit.count()).toBeGreaterThan(0);
  });

  it("when one client signs up again and again, the third sign-up is refused and no account is created", async () => {
    const signUp = async (n: number) => {
      const agent = request.agent(app.app);
      const page = await agent.get("/sign-up");
      return agent.post("/sign-up").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), name: `P${n}`, email: `p${n}@example.com`, password: "long-enough-password" });
    };
    expect((await signUp(1)).status).toBe(303);
    expect((await signUp(2)).status).toBe(303);
    const users = await app.db.user.count();
    expect((await signUp(3)).status).toBe(429);
    expect(await app.db.user.count()).toBe(users);
  });

  it("when a signed-in person opens the setup URI over and over, it is limited", async () => {
    const agent = request.agent(app.app);
    const page = await agent.get("/sign-in");
    await agent.post("/sign-in").type("form").send({ _csrf: csrfFrom(page.text), email: "demo@example.com", password: "demo" }).expect(303);
    expect((await agent.get("/flowdock/setup?flow=f1").redirects(0)).status).toBe(302);
    expect((await agent.get("/flowdock/setup?flow=f1").redirects(0)).status).toBe(302);
    const third = await agent.get("/flowdock/setup?flow=f1").redirects(0);
    expect(third.status).toBe(429);
    expect(third.headers["retry-after"]).toBeDefined();
  });
});

describe("abuse limits on the local Flowdock", () => {
  it("when its sign-in page gets too many wrong passwords for an account, the right one is refused with 429", async () => {
    const attempt = async (password: string) => {
      const agent = request.agent(fd.url);
      const page = await agent.get("/login");
      return agent.post("/login").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email: "bob@example.com", password, return_to: "/app" });
    };
    for (let i = 0; i < 3; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
    const right = await attempt("flowdock");
    expect(right.status).toBe(429);
    expect(Number(right.headers["retry-after"])).toBeGreaterThan(0);
    expect(right.text).toMatch(/Too many attempts/i);
  });

  it("when the password grant gets too many wrong passwords, the right one is refused with 429 and Retry-After", async () => {
    const grant = (password: string) => request(fd.url).post("/oauth/token").set("accept", "application/json")
      .send({ grant_type: "password", username: "alice@example.com", password, scope: "flow", client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret });
    for (let i = 0; i < 3; i++) expect((await grant(`wrong-${i}`)).status).toBe(400);
    const right = await grant("flowdock");
    expect(right.status).toBe(429);
    expect(right.body.error).toBe("slow_down");
    expect(Number(right.headers["retry-after"])).toBeGreaterThan(0);
  });
});
