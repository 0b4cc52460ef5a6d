// The local Flowdock's control API (each fault knob, the rate limit, the clock,
// reset) and its storage surviving a restart.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { api, APP_BASE_URL, createSource, passwordToken, startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock | undefined;
afterEach(async () => {
  await fd?.close();
  fd = undefined;
});

async function started(overrides: Parameters<typeof startTestFlowdock>[0] = {}) {
  fd = await startTestFlowdock(overrides);
  return fd;
}

const post = (url: string, flowToken: string, extra: Record<string, unknown> = {}, signal?: AbortSignal) =>
  fetch(`${url}/messages`, {
    method: "POST", signal, headers: { "content-type": "application/json" },
    body: JSON.stringify({ flow_token: flowToken, event: "activity", title: "t", author: { name: "A" }, external_thread_id: "x", thread: { title: "T" }, ...extra }),
  });
const control = (url: string, pathname: string, method: string, body?: unknown) => api(url, `/_simulator${pathname}`, { method, body });

describe("the control API", () => {
  it("when latency is added, posts take at least that long", async () => {
    const { url } = await started();
    const { source } = await createSource(url);
    await control(url, "/faults/messages", "PUT", { latencyMs: 300 });
    const t = performance.now();
    expect((await post(url, source.flow_token)).status).toBe(202);
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
  });

  it("when the error rate is 1 every post is a 500, and at 0 none is", async () => {
    const { url } = await started();
    const { source } = await createSource(url);
    await control(url, "/faults/messages", "PUT", { errorRate: 1 });
    for (let i = 0; i < 5; i++) expect((await post(url, source.flow_token, { uuid: `e${i}` })).status).toBe(500);
    await control(url, "/faults/messages", "PUT", { errorRate: 0 });
    for (let i = 0; i < 5; i++) expect((await post(url, source.flow_token, { uuid: `ok${i}` })).status).toBe(202);
  });

  it("when timeouts are on, a post gets no answer at all until the client gives up", async () => {
    const { url } = await started();
    const { source } = await createSource(url);
    await control(url, "/faults/messages", "PUT", { timeoutRate: 1 });
    await expect(post(url, source.flow_token, {}, AbortSignal.timeout(300))).rejects.toThrow();
    await control(url, "/faults", "DELETE");
    expect((await post(url, source.flow_token)).status).toBe(202);
  });

  it("when a status is forced for the next N posts, exactly those get it, then posts succeed again", async () => {
    const { url } = await started();
    const { source } = await createSource(url);
    await control(url, "/faults/messages/next", "POST", { status: 429, count: 2, retryAfterSeconds: 7 });
    const first = await post(url, source.flow_token);
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("7");
    expect((await post(url, source.flow_token)).status).toBe(429);
    expect((await post(url, source.flow_token)).status).toBe(202);
    await control(url, "/faults/api/next", "POST", { status: 503 });
    expect((await api(url, "/flows", { token: await passwordToken(url, "alice@example.com") })).status).toBe(503);
    await control(url, "/faults/token/next", "POST", { status: 500 });
    await expect(passwordToken(url, "alice@example.com")).rejects.toThrow(/500/);
  });

  it("when the rate limit is on, a token posting too fast gets 429 with Retry-After while another token is unaffected", async () => {
    const { url } = await started();
    const { source: a } = await createSource(url, "A");
    const { source: b } = await createSource(url, "B");
    await control(url, "/rate-limit", "PUT", { max: 2, windowMs: 10_000 });
    expect((await post(url, a.flow_token)).status).toBe(202);
    expect((await post(url, a.flow_token)).status).toBe(202);
    const limited = await post(url, a.flow_token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await post(url, b.flow_token)).status).toBe(202);
    expect((await control(url, "/rate-limit", "DELETE")).status).toBe(200);
    expect((await post(url, a.flow_token)).status).toBe(202);
  });

  it("when the control input is wrong, it answers 4xx and changes nothing", async () => {
    const { url } = await started();
    expect((await control(url, "/faults/everything", "PUT", { latencyMs: 1 })).status).toBe(404);
    expect((await control(url, "/faults/messages", "PUT", { errorRate: 2 })).status).toBe(400);
    expect((await control(url, "/faults/messages/next", "POST", { status: 42 })).status).toBe(400);
    const state = (await control(url, "/state", "GET")).body as { faults: { conditions: object; forced: object } };
    expect(state.faults).toEqual({ conditions: {}, forced: {} });
  });

  it("when reset, every source and message is gone and the seed is back", async () => {
    const { url } = await started();
    const { source } = await createSource(url);
    await post(url, source.flow_token);
    await control(url, "/faults/messages", "PUT", { latencyMs: 10 });
    expect((await control(url, "/reset", "POST")).status).toBe(200);
    const alice = await passwordToken(url, "alice@example.com");
    expect((await api(url, "/flows/acme/main/sources", { token: alice })).body).toEqual([]);
    expect((await api(url, "/flows/acme/main/messages", { token: alice })).body).toEqual([]);
    expect((await post(url, source.flow_token)).status).toBe(401);
    expect(((await control(url, "/state", "GET")).body as { faults: { conditions: object } }).faults.conditions).toEqual({});
  });

  it("when the control API is not enabled, it does not exist", async () => {
    const { url } = await started({ controlApi: false });
    expect((await control(url, "/state", "GET")).status).toBe(404);
    expect((await control(url, "/reset", "POST")).status).toBe(404);
  });
});

describe("restarting the local Flowdock", () => {
  it("when it restarts on the same file, sources, tokens, threads and sign-ins are all still there, and the app registration follows the new config", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-flowdock-"));
    const databasePath = path.join(dir, "flowdock.db");
    try {
      const first = await started({ databasePath });
      const { source, userToken } = await createSource(first.url);
      expect((await post(first.url, source.flow_token, { uuid: "kept" })).status).toBe(202);
      await first.close();
      fd = undefined;

      const movedApp = "http://app.example:8080";
      const second = await started({ databasePath, integration: { name: "Tracker", clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, appBaseUrl: movedApp } });
      expect((await api(second.url, "/flows/acme/main/sources", { token: userToken })).body).toMatchObject([{ id: source.id, name: "Website" }]);
      expect((await post(second.url, source.flow_token, { uuid: "after" })).status).toBe(202);
      const messages = (await api(second.url, "/flows/acme/main/messages", { token: userToken })).body as { uuid: string }[];
      expect(messages.map((m) => m.uuid)).toEqual(["kept", "after"]);
      // Seeded once: still one alice, one Tracker application, now pointing at the moved app.
      const flows = (await api(second.url, "/flows", { token: userToken })).body as unknown[];
      expect(flows).toHaveLength(2);
      const settings = second.store.applications.byClientId(TEST_CLIENT.clientId)!;
      expect(settings.callback_uri).toBe(`${movedApp}/auth/flowdock/callback`);
      expect(settings.setup_uri).toBe(`${movedApp}/flowdock/setup`);
      expect(settings.configuration_uri).toBe(`${movedApp}/flowdock/configure`);
      expect(APP_BASE_URL).not.toBe(movedApp);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
