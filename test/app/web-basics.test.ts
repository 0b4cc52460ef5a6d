// What every request meets: health checks, security headers, the stylesheet,
// and clear 4xx answers (HTML for browsers, JSON for API clients) to bad input.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createApp } from "../../src/app.ts";
import { createDatabase } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/observability/logger.ts";

let app: TestApp;
beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
afterEach(async () => { await app.close(); });

describe("the app's basics", () => {
  it("when the database answers, /healthz and /readyz are 200; when it doesn't, /readyz is 503", async () => {
    await request(app.app).get("/healthz").expect(200, { status: "ok" });
    await request(app.app).get("/readyz").expect(200);
    // A database nobody answers at: a PostgreSQL port with no server.
    const unreachable = createDatabase("postgres://postgres@127.0.0.1:1/none");
    const brokenApp = createApp({ config: app.config, db: unreachable, logger: createLogger({ level: "silent", name: "readyz" }) });
    const res = await request(brokenApp).get("/readyz");
    expect(res.status).toBe(503);
    await request(brokenApp).get("/healthz").expect(200);
  });

  it("when a page is served, it carries a content security policy and no x-powered-by, and the stylesheet is ours", async () => {
    const res = await request(app.app).get("/").expect(200);
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.headers["x-powered-by"]).toBeUndefined();
    expect(res.text).toContain('href="/assets/app.css"');
    await request(app.app).get("/assets/app.css").expect(200).expect("content-type", /css/);
  });

  it("when a browser asks for the site's icon, it gets ours, and no session row is written for it", async () => {
    const page = await request(app.app).get("/").expect(200);
    expect(page.text).toContain('<link rel="icon" href="/assets/icon.svg"');
    const legacy = await request(app.app).get("/favicon.ico").expect(301);
    expect(legacy.headers.location).toBe("/assets/icon.svg");
    expect(legacy.headers["set-cookie"]).toBeUndefined();
    await request(app.app).get("/assets/icon.svg").expect(200).expect("content-type", /svg/);
  });

  it("when a path is unknown, a browser gets a 404 page and an API client gets JSON", async () => {
    const html = await request(app.app).get("/nope").set("accept", "text/html").expect(404);
    expect(html.text).toContain("<h1");
    expect(html.text).toContain("Page not found");
    const json = await request(app.app).get("/nope").set("accept", "application/json").expect(404);
    expect(json.body).toEqual({ error: { code: "NOT_FOUND", message: "Page not found" } });
  });

  it("when a body is malformed JSON or too large, the answer is a 4xx and nothing crashes", async () => {
    const bad = await request(app.app).post("/sign-in").set("content-type", "application/json").set("accept", "application/json").send("{not json");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("BAD_REQUEST");
    const huge = await request(app.app).post("/sign-in").set("content-type", "application/json").set("accept", "application/json").send(JSON.stringify({ x: "a".repeat(200_000) }));
    expect(huge.status).toBe(413);
    await request(app.app).get("/healthz").expect(200);
  });

  it("when a signed-out person opens a page that needs a user, they are sent to sign in", async () => {
    const res = await request(app.app).get("/projects").expect(303);
    expect(res.headers.location).toBe("/sign-in");
    const api = await request(app.app).get("/projects").set("accept", "application/json").expect(401);
    expect(api.body.error.code).toBe("UNAUTHENTICATED");
  });

  it("when a form arrives without its CSRF token, it is refused and nobody is signed in", async () => {
    const res = await request(app.app).post("/sign-in").type("form").send({ email: "demo@example.com", password: "demo" });
    expect(res.status).toBe(403);
    expect(res.headers["set-cookie"] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/tracker\.sid=.+; /)]));
  });

  it("when someone signs in, the session id changes and the cookie is HttpOnly and SameSite=Lax", async () => {
    const agent = request.agent(app.app);
    // A session that exists before signing in (here: where to come back to); the sign-in form itself starts none.
    const protectedPage = await agent.get("/projects").redirects(0);
    const before = String(protectedPage.headers["set-cookie"]).match(/tracker\.sid=([^;]+)/)?.[1];
    const page = await agent.get("/sign-in");
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const res = await agent.post("/sign-in").type("form").send({ _csrf: csrf, email: "demo@example.com", password: "demo" }).expect(303);
    const cookie = String(res.headers["set-cookie"]);
    const after = cookie.match(/tracker\.sid=([^;]+)/)?.[1];
    expect(before).toBeTruthy();
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(await app.db.session.count({ where: { sid: decodeURIComponent(before!).slice(2).split(".")[0] } })).toBe(0);
  });
});
