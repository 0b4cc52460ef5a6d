// REST authentication as the hosted docs (authentication.md): OAuth Bearer and
// access_token, HTTP Basic with email and password or with a personal API token,
// the Flowdock-User header, the Tokens page, and JSON errors at every API address.
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { api, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { csrfFrom } from "../support/browser.ts";
import { apiTokenOf, basic, signedInAgent } from "../support/flowdock-user.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
afterEach(async () => { await fd.close(); });

describe("HTTP Basic with email and password", () => {
  it("when the password is right, the API answers as that person and names them in Flowdock-User", async () => {
    fd = await startTestFlowdock();
    const res = await api(fd.url, "/user", { headers: basic("alice@example.com", "flowdock") });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: "alice@example.com" });
    expect(res.headers.get("flowdock-user")).toBe(String((res.body as { id: number }).id));
    const flows = await api(fd.url, "/flows", { headers: basic("alice@example.com", "flowdock") });
    expect((flows.body as { parameterized_name: string }[]).map((f) => f.parameterized_name).sort()).toEqual(["main", "support"]);
  });

  it("when the password is wrong, the answer is a JSON 401 with a Basic challenge", async () => {
    fd = await startTestFlowdock();
    const res = await api(fd.url, "/flows", { headers: basic("alice@example.com", "nope") });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: expect.any(String) });
    expect(res.headers.get("www-authenticate")).toMatch(/Basic/);
    expect(res.headers.get("flowdock-user")).toBeNull();
  });

  it("when wrong passwords over Basic pass the account's sign-in limit, even the right one is refused with 429 and Retry-After, and the sign-in page is limited too", async () => {
    fd = await startTestFlowdock({ signInLimit: { points: 3, durationSeconds: 600 } });
    for (let i = 0; i < 3; i++) expect((await api(fd.url, "/flows", { headers: basic("alice@example.com", "nope") })).status).toBe(401);
    const right = await api(fd.url, "/flows", { headers: basic("alice@example.com", "flowdock") });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    const agent = request.agent(fd.url);
    const page = await agent.get("/login");
    await agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email: "alice@example.com", password: "flowdock", return_to: "/app" }).expect(429);
  });
});

describe("HTTP Basic with a personal API token", () => {
  it("when the token is the user name, any password is ignored and the API answers as its owner", async () => {
    fd = await startTestFlowdock();
    const token = await apiTokenOf(fd.url, "bob@example.com");
    for (const password of ["", "DUMMY"]) {
      const res = await api(fd.url, "/user", { headers: basic(token, password) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: "bob@example.com" });
    }
  });

  it("when the token is regenerated, the old one answers 401 and the new one works", async () => {
    fd = await startTestFlowdock();
    const old = await apiTokenOf(fd.url);
    const fresh = await apiTokenOf(fd.url);
    expect(fresh).not.toBe(old);
    expect((await api(fd.url, "/flows", { headers: basic(old) })).status).toBe(401);
    expect((await api(fd.url, "/flows", { headers: basic(fresh) })).status).toBe(200);
  });

  it("when a Basic caller tries to create a source, the answer is 403: sources belong to OAuth applications", async () => {
    fd = await startTestFlowdock();
    const token = await apiTokenOf(fd.url);
    const res = await api(fd.url, "/flows/acme/main/sources", { method: "POST", headers: basic(token), body: { name: "Mine" } });
    expect(res.status).toBe(403);
  });
});

describe("the Tokens page", () => {
  it("when signed in, it shows only the tail of an existing token and regenerating needs the form's CSRF token", async () => {
    fd = await startTestFlowdock();
    const token = await apiTokenOf(fd.url);
    const agent = await signedInAgent(fd.url);
    const page = await agent.get("/account/tokens").expect(200);
    expect(page.text).not.toContain(token);
    expect(page.text).toContain(token.slice(-4));
    await agent.post("/account/tokens").type("form").send({}).expect(403);
    expect((await api(fd.url, "/user", { headers: basic(token) })).status).toBe(200);
  });

  it("when signed out, it sends the browser to sign in", async () => {
    fd = await startTestFlowdock();
    const res = await request(fd.url).get("/account/tokens");
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^\/login/);
  });
});

describe("OAuth and errors", () => {
  it("when an access token comes as Bearer or in the query string, the answer carries Flowdock-User", async () => {
    fd = await startTestFlowdock();
    const token = await passwordToken(fd.url, "alice@example.com", "flow profile");
    const bearer = await api(fd.url, "/user", { token });
    const query = await api(fd.url, `/user?access_token=${token}`);
    expect(bearer.headers.get("flowdock-user")).toBe(String((bearer.body as { id: number }).id));
    expect(query.headers.get("flowdock-user")).toBe(bearer.headers.get("flowdock-user"));
  });

  it("when no credentials come, the answer is a JSON 401 offering Bearer and Basic", async () => {
    fd = await startTestFlowdock();
    const res = await api(fd.url, "/flows");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/Bearer.*Basic/);
  });

  it("when an API client asks for an unknown address, the answer is JSON 404, not a page", async () => {
    fd = await startTestFlowdock();
    const token = await passwordToken(fd.url, "alice@example.com");
    for (const res of [
      await api(fd.url, "/no/such/thing", { token }),
      await api(fd.url, "/flows/acme/main/nothing-here", { token }),
      await api(fd.url, "/users/1/whatever", { headers: basic("alice@example.com", "flowdock") }),
      await api(fd.url, "/somewhere"),
    ]) {
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect(res.body).toEqual({ message: "not found" });
    }
    const browser = await fetch(`${fd.url}/somewhere`, { headers: { accept: "text/html" } });
    expect(browser.headers.get("content-type")).toMatch(/text\/html/);
  });
});
