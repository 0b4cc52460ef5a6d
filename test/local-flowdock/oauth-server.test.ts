// The local Flowdock's OAuth 2.0 server: authorize with sign-in and consent, the
// token endpoint's three grants, expiry, scopes, and every refusal.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, APP_BASE_URL, passwordToken, startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import { csrfFrom } from "../support/browser.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const CALLBACK = `${APP_BASE_URL}/auth/flowdock/callback`;
let fd: LocalFlowdock;
beforeEach(async () => { fd = await startTestFlowdock({ tokenTtlSeconds: 60 }); });
afterEach(async () => { await fd.close(); });

function authorizeQuery(overrides: Record<string, string> = {}) {
  return new URLSearchParams({ client_id: TEST_CLIENT.clientId, response_type: "code", redirect_uri: CALLBACK, scope: "profile integration", state: "s-123", ...overrides });
}

async function signedInAgent(email = "alice@example.com") {
  const agent = request.agent(fd.url);
  const page = await agent.get("/login");
  await agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email, password: "flowdock", return_to: "/app" }).expect(302);
  return agent;
}

/** Sign in, consent, and answer where Flowdock redirects. */
async function consent(decision: "approve" | "deny", query = authorizeQuery()) {
  const agent = await signedInAgent();
  const page = await agent.get(`/oauth/authorize?${query}`).expect(200);
  const fields = Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
  const res = await agent.post("/oauth/authorize").type("form").send({ ...fields, decision }).expect(302);
  return new URL(res.headers.location as string);
}

function exchange(body: Record<string, string>, asJson = false) {
  const req = request(fd.url).post("/oauth/token").set("accept", "application/json");
  const payload = { client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret, ...body };
  return asJson ? req.send(payload) : req.type("form").send(payload);
}

const advance = (ms: number) => api(fd.url, "/_simulator/clock", { method: "POST", body: { advanceMs: ms } });

describe("authorize", () => {
  it("when nobody is signed in, Flowdock asks them to sign in and then shows the consent page", async () => {
    const agent = request.agent(fd.url);
    const first = await agent.get(`/oauth/authorize?${authorizeQuery()}`);
    expect(first.status).toBe(302);
    expect(first.headers.location).toMatch(/^\/login\?return_to=/);
    const login = await agent.get(first.headers.location as string);
    const back = await agent.post("/login").type("form").send({ _csrf: csrfFrom(login.text), email: "alice@example.com", password: "flowdock", return_to: new URL(`http://x${first.headers.location}`).searchParams.get("return_to")! }).expect(302);
    const page = await agent.get(back.headers.location as string).expect(200);
    expect(page.text).toContain("Authorize Tracker?");
    expect(page.text).toContain("(profile)");
    expect(page.text).toContain("(integration)");
  });

  it("when the person approves, Flowdock returns to the callback with a code and the same state", async () => {
    const back = await consent("approve");
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get("code")).toMatch(/.{20,}/);
    expect(back.searchParams.get("state")).toBe("s-123");
  });

  it("when the person declines, Flowdock returns access_denied with the state", async () => {
    const back = await consent("deny");
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("s-123");
    expect(back.searchParams.get("code")).toBeNull();
  });

  it("when the client is unknown or the redirect_uri isn't the registered callback, an error page is shown and nobody is redirected", async () => {
    const agent = await signedInAgent();
    const unknown = await agent.get(`/oauth/authorize?${authorizeQuery({ client_id: "nope" })}`).expect(400);
    expect(unknown.text).toContain("Unknown application");
    const elsewhere = await agent.get(`/oauth/authorize?${authorizeQuery({ redirect_uri: "https://evil.example/cb" })}`).expect(400);
    expect(elsewhere.headers.location).toBeUndefined();
    expect(elsewhere.text).toContain("Wrong redirect address");
  });

  it("when the response_type or a scope is not supported, the callback gets the error", async () => {
    const agent = await signedInAgent();
    const type = await agent.get(`/oauth/authorize?${authorizeQuery({ response_type: "token" })}`).expect(302);
    expect(new URL(type.headers.location as string).searchParams.get("error")).toBe("unsupported_response_type");
    const scope = await agent.get(`/oauth/authorize?${authorizeQuery({ scope: "everything" })}`).expect(302);
    expect(new URL(scope.headers.location as string).searchParams.get("error")).toBe("invalid_scope");
  });
});

describe("the token endpoint", () => {
  it("when a fresh code is exchanged (form or JSON), the answer is a bearer token with expires_in and the scopes", async () => {
    for (const asJson of [false, true]) {
      const code = (await consent("approve")).searchParams.get("code")!;
      const res = await exchange({ grant_type: "authorization_code", code, redirect_uri: CALLBACK }, asJson).expect(200);
      expect(res.body).toMatchObject({ token_type: "bearer", expires_in: 60, scope: "profile integration" });
      expect(res.body.refresh_token).toBeUndefined();
      expect(res.headers["cache-control"]).toBe("no-store");
      const user = await api(fd.url, "/user", { token: res.body.access_token });
      expect(user.body).toMatchObject({ email: "alice@example.com", name: "Alice Anders" });
    }
  });

  it("when a code is used twice, the second exchange is refused and the first token is revoked", async () => {
    const code = (await consent("approve")).searchParams.get("code")!;
    const first = await exchange({ grant_type: "authorization_code", code, redirect_uri: CALLBACK }).expect(200);
    const second = await exchange({ grant_type: "authorization_code", code, redirect_uri: CALLBACK }).expect(400);
    expect(second.body.error).toBe("invalid_grant");
    expect((await api(fd.url, "/user", { token: first.body.access_token })).status).toBe(401);
  });

  it("when the redirect_uri differs, the client secret is wrong or the code expired, the exchange is refused", async () => {
    const code = (await consent("approve")).searchParams.get("code")!;
    expect((await exchange({ grant_type: "authorization_code", code, redirect_uri: `${CALLBACK}x` }).expect(400)).body.error).toBe("invalid_grant");
    const wrongSecret = await exchange({ grant_type: "authorization_code", code, redirect_uri: CALLBACK, client_secret: "wrong-secret-0123456789" }).expect(401);
    expect(wrongSecret.body.error).toBe("invalid_client");
    expect(wrongSecret.headers["www-authenticate"]).toContain("Basic");

    const late = (await consent("approve")).searchParams.get("code")!;
    await advance(11 * 60_000);
    expect((await exchange({ grant_type: "authorization_code", code: late, redirect_uri: CALLBACK }).expect(400)).body.error_description).toMatch(/expired/);
  });

  it("when the access token's lifetime has passed, the API answers 401", async () => {
    const token = await passwordToken(fd.url, "alice@example.com");
    expect((await api(fd.url, "/user", { token })).status).toBe(200);
    await advance(61_000);
    expect((await api(fd.url, "/user", { token })).status).toBe(401);
  });

  it("when offline_access was granted, the refresh token rotates and the old one stops working", async () => {
    const first = await exchange({ grant_type: "password", username: "alice@example.com", password: "flowdock", scope: "profile offline_access" }).expect(200);
    expect(first.body.refresh_token).toBeTruthy();
    const second = await exchange({ grant_type: "refresh_token", refresh_token: first.body.refresh_token }).expect(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await api(fd.url, "/user", { token: second.body.access_token })).status).toBe(200);
    expect((await exchange({ grant_type: "refresh_token", refresh_token: first.body.refresh_token }).expect(400)).body.error).toBe("invalid_grant");
  });

  it("when the password is wrong, the grant type unknown or a parameter missing, the answer is a 4xx in OAuth's error format", async () => {
    expect((await exchange({ grant_type: "password", username: "alice@example.com", password: "nope", scope: "flow" }).expect(400)).body.error).toBe("invalid_grant");
    expect((await exchange({ grant_type: "client_credentials" }).expect(400)).body.error).toBe("unsupported_grant_type");
    expect((await exchange({}).expect(400)).body.error).toBe("invalid_request");
    expect((await exchange({ grant_type: "authorization_code" }).expect(400)).body.error).toBe("invalid_request");
    const badJson = await request(fd.url).post("/oauth/token").set("content-type", "application/json").send("{oops");
    expect(badJson.status).toBe(400);
  });
});

describe("using tokens", () => {
  it("when a token lacks a scope, the API answers 403: /user needs profile, creating a source needs integration", async () => {
    const flowOnly = await passwordToken(fd.url, "alice@example.com", "flow");
    expect((await api(fd.url, "/user", { token: flowOnly })).status).toBe(403);
    expect((await api(fd.url, "/flows/acme/main/sources", { method: "POST", token: flowOnly, body: { name: "X" } })).status).toBe(403);
  });

  it("when the token comes as ?access_token= instead of a header, it works the same; an unknown token is 401", async () => {
    const token = await passwordToken(fd.url, "alice@example.com");
    expect((await api(fd.url, `/user?access_token=${token}`)).status).toBe(200);
    expect((await api(fd.url, "/user", { token: "not-a-token" })).status).toBe(401);
    expect((await api(fd.url, "/user")).status).toBe(401);
  });
});
