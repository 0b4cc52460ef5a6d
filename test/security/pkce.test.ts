// PKCE (RFC 7636, S256 only): our OAuth client sends a code challenge and redeems
// the code with its verifier, kept with the setup in the person's session, and
// the local Flowdock checks it. So an authorization code that leaks before it is
// redeemed can't be completed in someone else's setup.
import crypto from "node:crypto";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, APP_BASE_URL, passwordToken, startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { Browser, csrfFrom } from "../support/browser.ts";
import { hashPassword } from "../../src/crypto/password.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
let flowId: string;
beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
  flowId = ((await api(fd.url, "/flows/acme/main", { token: await passwordToken(fd.url, "alice@example.com") })).body as { id: string }).id;
});
afterEach(async () => {
  await app.close();
  await fd.close();
});

const CALLBACK = `${APP_BASE_URL}/auth/flowdock/callback`;
const challengeOf = (verifier: string) => crypto.createHash("sha256").update(verifier).digest("base64url");

describe("PKCE in our setup", () => {
  it("when an unredeemed code leaks, completing it in another person's setup fails and the rightful person can still finish", async () => {
    const victim = new Browser(app.app, fd.url);
    await victim.signInToApp();
    const started = await victim.visit(`/flowdock/setup?flow=${flowId}`);
    const authorizeUrl = new URL(started.headers.location as string);
    expect(authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizeUrl.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await victim.signInToFlowdock();
    const leaked = new URL(await victim.consent(authorizeUrl.toString(), "approve"));

    await app.db.user.create({ data: { email: "mallory@example.com", name: "Mallory", passwordHash: await hashPassword("mallory-password") } });
    const mallory = new Browser(app.app, fd.url);
    await mallory.signInToApp("mallory@example.com", "mallory-password");
    const own = new URL((await mallory.visit(`/flowdock/setup?flow=${flowId}`)).headers.location as string);
    const planted = new URL(CALLBACK);
    planted.searchParams.set("code", leaked.searchParams.get("code")!);
    planted.searchParams.set("state", own.searchParams.get("state")!);
    const attempt = await mallory.visit(planted.toString());
    expect(attempt.status).toBe(400);
    expect(attempt.headers.location).toBeUndefined();

    const rightful = await victim.visit(leaked.toString());
    expect(rightful.status).toBe(303);
    expect((await victim.visit(rightful.headers.location as string)).status).toBe(200);
  });

  it("when the session row holds a setup in progress, it holds no OAuth state or code in the clear", async () => {
    const browser = new Browser(app.app, fd.url);
    await browser.signInToApp();
    const started = new URL((await browser.visit(`/flowdock/setup?flow=${flowId}`)).headers.location as string);
    const rows = (await app.db.session.findMany()).map((r) => r.data).join("\n");
    expect(rows).not.toContain(started.searchParams.get("state")!);
    expect(rows).not.toContain(started.searchParams.get("code_challenge")!);
  });
});

describe("PKCE on the local Flowdock", () => {
  async function codeFor(extra: Record<string, string>) {
    const agent = request.agent(fd.url);
    const login = await agent.get("/login");
    await agent.post("/login").type("form").send({ _csrf: csrfFrom(login.text), email: "alice@example.com", password: "flowdock", return_to: "/app" }).expect(302);
    const query = new URLSearchParams({ client_id: TEST_CLIENT.clientId, response_type: "code", redirect_uri: CALLBACK, scope: "profile", state: "s", ...extra });
    const page = await agent.get(`/oauth/authorize?${query}`);
    if (page.status === 302) return new URL(page.headers.location as string);
    const fields = Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
    const res = await agent.post("/oauth/authorize").type("form").send({ ...fields, decision: "approve" }).expect(302);
    return new URL(res.headers.location as string);
  }
  const redeem = (code: string, extra: Record<string, string> = {}) => request(fd.url).post("/oauth/token").set("accept", "application/json").type("form")
    .send({ grant_type: "authorization_code", code, redirect_uri: CALLBACK, client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret, ...extra });

  it("when a code was issued for an S256 challenge, it is redeemed only with the matching verifier", async () => {
    const verifier = crypto.randomBytes(32).toString("base64url");
    const code = (await codeFor({ code_challenge: challengeOf(verifier), code_challenge_method: "S256" })).searchParams.get("code")!;
    const without = await redeem(code);
    expect(without.status).toBe(400);
    expect(without.body.error).toBe("invalid_grant");
    const wrong = await redeem(code, { code_verifier: crypto.randomBytes(32).toString("base64url") });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe("invalid_grant");
    const right = await redeem(code, { code_verifier: verifier });
    expect(right.status).toBe(200);
    expect(right.body.access_token).toBeTruthy();
  });

  it("when the challenge method is plain or missing, the authorization is refused back to the client", async () => {
    const cases: Record<string, string>[] = [{ code_challenge: "a".repeat(43), code_challenge_method: "plain" }, { code_challenge: "a".repeat(43) }, { code_challenge: "short", code_challenge_method: "S256" }];
    for (const extra of cases) {
      const back = await codeFor(extra);
      expect(back.searchParams.get("error"), JSON.stringify(extra)).toBe("invalid_request");
      expect(back.searchParams.get("code")).toBeNull();
    }
  });

  it("when no challenge was sent, the code works without a verifier, as before", async () => {
    const code = (await codeFor({})).searchParams.get("code")!;
    expect((await redeem(code)).status).toBe(200);
  });
});
