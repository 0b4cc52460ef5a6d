// The local Flowdock's control API under /_simulator/: every fault knob
// (latency, a share of 500s, timeouts, forced answers), the rate limit, the
// clock, reset, and its absence when turned off. Real HTTP, fresh simulator per test.
import { afterEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
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

/** A simulator with one source in acme/main; answers its URL, flow token and alice's token. */
async function withSource(overrides: Parameters<typeof startTestFlowdock>[0] = {}) {
  const { url } = await started(overrides);
  const { source, userToken } = await createSource(url);
  return { url, flowToken: source.flow_token, sourceId: source.id, alice: userToken };
}

const post = (url: string, flowToken: string, extra: Record<string, unknown> = {}, signal?: AbortSignal) =>
  fetch(`${url}/messages`, {
    method: "POST", signal, headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ flow_token: flowToken, event: "activity", title: "changed", author: { name: "A" }, external_thread_id: "x", thread: { title: "T" }, ...extra }),
  });
const control = (url: string, pathname: string, method = "GET", body?: unknown) => api(url, `/_simulator${pathname}`, { method, body });
const storedCount = async (url: string, token: string) => ((await api(url, "/flows/acme/main/messages?limit=100", { token })).body as unknown[]).length;

interface State {
  faults: { conditions: Record<string, { latencyMs: number; errorRate: number; timeoutRate: number }>; forced: Record<string, { status: number | string; remaining: number }[]> };
  rateLimit: { max: number; windowMs: number } | null;
  now: number;
}
const state = async (url: string) => (await control(url, "/state")).body as State;

/** A random source that answers these values in turn, for deterministic shares. */
function sequence(...values: number[]) {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe("added latency", () => {
  it("when latency is added to messages, a post takes at least that long and still succeeds", async () => {
    const { url, flowToken } = await withSource();
    expect((await control(url, "/faults/messages", "PUT", { latencyMs: 400 })).status).toBe(200);
    const t = performance.now();
    const res = await post(url, flowToken);
    expect(performance.now() - t).toBeGreaterThanOrEqual(390);
    expect(res.status).toBe(202);
  });

  it("when latency is added to all and to messages, a post waits for both", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/all", "PUT", { latencyMs: 200 });
    await control(url, "/faults/messages", "PUT", { latencyMs: 200 });
    const t = performance.now();
    expect((await post(url, flowToken)).status).toBe(202);
    expect(performance.now() - t).toBeGreaterThanOrEqual(390);
  });

  it("when latency is added to the API, reading flows takes at least that long", async () => {
    const { url, alice } = await withSource();
    await control(url, "/faults/api", "PUT", { latencyMs: 300 });
    const t = performance.now();
    expect((await api(url, "/flows", { token: alice })).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
  });

  it("when latency is added to the token endpoint, getting a token takes at least that long", async () => {
    const { url } = await started();
    await control(url, "/faults/token", "PUT", { latencyMs: 300 });
    const t = performance.now();
    await passwordToken(url, "alice@example.com");
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
  });

  it("when a knob is set again, the other knobs of that target keep their values", async () => {
    const { url } = await started();
    await control(url, "/faults/messages", "PUT", { latencyMs: 50 });
    const res = await control(url, "/faults/messages", "PUT", { errorRate: 0.25 });
    expect(res.status).toBe(200);
    expect((await state(url)).faults.conditions.messages).toEqual({ latencyMs: 50, errorRate: 0.25, timeoutRate: 0 });
  });
});

describe("a share of 500s", () => {
  it("when the error rate is 1, every post is a 500 outage and nothing is stored", async () => {
    const { url, flowToken, alice } = await withSource();
    await control(url, "/faults/messages", "PUT", { errorRate: 1 });
    for (let i = 0; i < 5; i++) {
      const res = await post(url, flowToken, { uuid: `e${i}` });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: "Simulated outage" });
    }
    expect(await storedCount(url, alice)).toBe(0);
  });

  it("when the error rate is 0, no post fails", async () => {
    const { url, flowToken, alice } = await withSource();
    await control(url, "/faults/messages", "PUT", { errorRate: 1 });
    await control(url, "/faults/messages", "PUT", { errorRate: 0 });
    for (let i = 0; i < 5; i++) expect((await post(url, flowToken, { uuid: `ok${i}` })).status).toBe(202);
    expect(await storedCount(url, alice)).toBe(5);
  });

  it("when the error rate is 0.5, the requests whose draw falls under it fail and the rest succeed", async () => {
    const { url, flowToken, alice } = await withSource({ random: sequence(0.1, 0.9) });
    await control(url, "/faults/messages", "PUT", { errorRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(url, flowToken, { uuid: `h${i}` })).status);
    expect(statuses).toEqual([500, 202, 500, 202, 500, 202]);
    expect(await storedCount(url, alice)).toBe(3);
  });

  it("when the error rate is set on messages, the REST API is unaffected", async () => {
    const { url, alice } = await withSource();
    await control(url, "/faults/messages", "PUT", { errorRate: 1 });
    expect((await api(url, "/flows", { token: alice })).status).toBe(200);
    expect((await api(url, "/flows/acme/main/messages", { token: alice })).status).toBe(200);
  });

  it("when the error rate is set on the API, REST calls fail and posts do not", async () => {
    const { url, alice, flowToken } = await withSource();
    await control(url, "/faults/api", "PUT", { errorRate: 1 });
    for (const path of ["/user", "/flows", "/flows/acme/main/sources", "/sources"]) expect((await api(url, path, { token: alice })).status, path).toBe(500);
    expect((await post(url, flowToken)).status).toBe(202);
  });

  it("when the error rate is set on the token endpoint, getting a token fails with 500", async () => {
    const { url } = await started();
    await control(url, "/faults/token", "PUT", { errorRate: 1 });
    await expect(passwordToken(url, "alice@example.com")).rejects.toThrow(/500/);
  });

  it("when the error rate is set on all, posts, the API and the token endpoint all fail", async () => {
    const { url, alice, flowToken } = await withSource();
    await control(url, "/faults/all", "PUT", { errorRate: 1 });
    expect((await post(url, flowToken)).status).toBe(500);
    expect((await api(url, "/flows", { token: alice })).status).toBe(500);
    await expect(passwordToken(url, "alice@example.com")).rejects.toThrow(/500/);
    // The control API itself is never faulted.
    expect((await control(url, "/state")).status).toBe(200);
  });
});

describe("timeouts", () => {
  it("when the timeout rate is 1, a post gets no answer and the client aborts; nothing is stored", async () => {
    const { url, flowToken, alice } = await withSource();
    await control(url, "/faults/messages", "PUT", { timeoutRate: 1 });
    await expect(post(url, flowToken, {}, AbortSignal.timeout(300))).rejects.toMatchObject({ name: "TimeoutError" });
    expect(await storedCount(url, alice)).toBe(0);
  });

  it("when the timeout rate goes back to 0, posts are answered again", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages", "PUT", { timeoutRate: 1 });
    await expect(post(url, flowToken, {}, AbortSignal.timeout(200))).rejects.toThrow();
    await control(url, "/faults/messages", "PUT", { timeoutRate: 0 });
    expect((await post(url, flowToken, {}, AbortSignal.timeout(5000))).status).toBe(202);
  });

  it("when the timeout rate is 0.5, the requests whose draw falls under it hang and the rest are answered", async () => {
    const { url, flowToken } = await withSource({ random: sequence(0.2, 0.8) });
    await control(url, "/faults/messages", "PUT", { timeoutRate: 0.5 });
    await expect(post(url, flowToken, { uuid: "a" }, AbortSignal.timeout(200))).rejects.toThrow();
    expect((await post(url, flowToken, { uuid: "b" }, AbortSignal.timeout(5000))).status).toBe(202);
  });

  it("when a timeout is forced for the next post, only that one hangs", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages/next", "POST", { status: "timeout" });
    await expect(post(url, flowToken, {}, AbortSignal.timeout(200))).rejects.toMatchObject({ name: "TimeoutError" });
    expect((await post(url, flowToken, {}, AbortSignal.timeout(5000))).status).toBe(202);
  });

  it("when faults are cleared, requests that were left hanging are cut off at once", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages", "PUT", { timeoutRate: 1 });
    const hanging = post(url, flowToken).then(() => "answered", () => "cut off");
    await new Promise((r) => setTimeout(r, 100));
    expect((await control(url, "/faults", "DELETE")).status).toBe(200);
    expect(await hanging).toBe("cut off");
    expect((await post(url, flowToken)).status).toBe(202);
  });
});

describe("forced answers for the next N requests", () => {
  it("when a status is forced for the next 2 posts, exactly those get it, with Retry-After, then posts succeed again", async () => {
    const { url, flowToken, alice } = await withSource();
    const res = await control(url, "/faults/messages/next", "POST", { status: 503, count: 2, retryAfterSeconds: 7 });
    expect(res.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const forced = await post(url, flowToken, { uuid: `f${i}` });
      expect(forced.status).toBe(503);
      expect(forced.headers.get("retry-after")).toBe("7");
    }
    expect((await post(url, flowToken, { uuid: "ok" })).status).toBe(202);
    expect((await post(url, flowToken, { uuid: "ok2" })).status).toBe(202);
    expect(await storedCount(url, alice)).toBe(2);
  });

  it("when count is left out, only the next post is forced", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages/next", "POST", { status: 502 });
    expect((await post(url, flowToken)).status).toBe(502);
    expect((await post(url, flowToken)).status).toBe(202);
  });

  it("when a 4xx is forced, the answer carries that status and a failure message", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages/next", "POST", { status: 429, retryAfterSeconds: 3 });
    const res = await post(url, flowToken);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toEqual({ message: "Simulated failure" });
  });

  it("when several forced answers are queued, they come in the order they were forced", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages/next", "POST", { status: 500, count: 1 });
    await control(url, "/faults/messages/next", "POST", { status: 429, count: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(url, flowToken)).status);
    expect(statuses).toEqual([500, 429, 429, 202]);
  });

  it("when a status is forced on messages, API calls don't use it up", async () => {
    const { url, flowToken, alice } = await withSource();
    await control(url, "/faults/messages/next", "POST", { status: 500 });
    expect((await api(url, "/flows", { token: alice })).status).toBe(200);
    expect((await state(url)).faults.forced.messages).toEqual([expect.objectContaining({ status: 500, remaining: 1 })]);
    expect((await post(url, flowToken)).status).toBe(500);
    expect((await state(url)).faults.forced.messages).toEqual([]);
  });

  it("when a status is forced on the API or the token endpoint, the next such call gets it", async () => {
    const { url, alice } = await withSource();
    await control(url, "/faults/api/next", "POST", { status: 503 });
    expect((await api(url, "/flows", { token: alice })).status).toBe(503);
    expect((await api(url, "/flows", { token: alice })).status).toBe(200);
    await control(url, "/faults/token/next", "POST", { status: 500 });
    await expect(passwordToken(url, "alice@example.com")).rejects.toThrow(/500/);
    await expect(passwordToken(url, "alice@example.com")).resolves.toEqual(expect.any(String));
  });

  it("when a status is forced on all, whichever request comes next gets it", async () => {
    const { url, alice, flowToken } = await withSource();
    await control(url, "/faults/all/next", "POST", { status: 500, count: 2 });
    expect((await api(url, "/flows", { token: alice })).status).toBe(500);
    expect((await post(url, flowToken)).status).toBe(500);
    expect((await post(url, flowToken)).status).toBe(202);
  });

  it("when the faults are deleted, pending forced answers and conditions are gone", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages/next", "POST", { status: 500, count: 10 });
    await control(url, "/faults/api", "PUT", { errorRate: 1 });
    const res = await control(url, "/faults", "DELETE");
    expect(res.body).toEqual({ conditions: {}, forced: {} });
    expect((await post(url, flowToken)).status).toBe(202);
  });
});

describe("the rate limit", () => {
  it("when a flow token posts faster than the limit, it gets 429 with Retry-After, and another token is unaffected", async () => {
    const { url } = await started();
    const { source: a, userToken: alice } = await createSource(url, "A");
    const { source: b } = await createSource(url, "B");
    const res = await control(url, "/rate-limit", "PUT", { max: 2, windowMs: 30_000 });
    expect(res.body).toEqual({ rateLimit: { max: 2, windowMs: 30_000 } });
    expect((await post(url, a.flow_token, { uuid: "a1" })).status).toBe(202);
    expect((await post(url, a.flow_token, { uuid: "a2" })).status).toBe(202);
    const limited = await post(url, a.flow_token, { uuid: "a3" });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await limited.json()).toMatchObject({ message: expect.any(String) });
    expect((await post(url, b.flow_token, { uuid: "b1" })).status).toBe(202);
    expect((await post(url, b.flow_token, { uuid: "b2" })).status).toBe(202);
    expect(((await api(url, "/flows/acme/main/messages", { token: alice })).body as { uuid: string }[]).map((m) => m.uuid)).toEqual(["a1", "a2", "b1", "b2"]);
  });

  it("when the rate limit is turned off, the limited token posts again", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/rate-limit", "PUT", { max: 1, windowMs: 60_000 });
    expect((await post(url, flowToken)).status).toBe(202);
    expect((await post(url, flowToken)).status).toBe(429);
    expect((await control(url, "/rate-limit", "DELETE")).body).toEqual({ rateLimit: null });
    expect((await state(url)).rateLimit).toBeNull();
    for (let i = 0; i < 3; i++) expect((await post(url, flowToken)).status).toBe(202);
  });

  it("when the window has passed (the clock moved on), the token may post again", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/rate-limit", "PUT", { max: 1, windowMs: 60_000 });
    expect((await post(url, flowToken)).status).toBe(202);
    expect((await post(url, flowToken)).status).toBe(429);
    await control(url, "/clock", "POST", { advanceMs: 60_000 });
    expect((await post(url, flowToken)).status).toBe(202);
  });

  it("when the simulator starts with a rate limit option, it is on from the start", async () => {
    const { url, flowToken } = await withSource({ rateLimit: { max: 1, windowMs: 60_000 } });
    expect((await state(url)).rateLimit).toEqual({ max: 1, windowMs: 60_000 });
    expect((await post(url, flowToken)).status).toBe(202);
    expect((await post(url, flowToken)).status).toBe(429);
  });

  it("when the rate limit input is wrong, the answer is 400 and the limit stays as it was", async () => {
    const { url } = await started();
    for (const body of [{ max: 0, windowMs: 1000 }, { max: 1 }, { max: 1, windowMs: 1000, extra: true }]) {
      expect((await control(url, "/rate-limit", "PUT", body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await state(url)).rateLimit).toBeNull();
  });
});

describe("the clock", () => {
  it("when the clock moves past the token lifetime, access tokens expire with 401", async () => {
    const { url } = await started({ tokenTtlSeconds: 60 });
    const token = await passwordToken(url, "alice@example.com");
    expect((await api(url, "/user", { token })).status).toBe(200);
    const before = (await state(url)).now;
    const res = await control(url, "/clock", "POST", { advanceMs: 61_000 });
    expect(res.status).toBe(200);
    expect((res.body as { now: number }).now).toBeGreaterThanOrEqual(before + 61_000);
    const expired = await api(url, "/user", { token });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ message: expect.stringMatching(/expired/i) });
  });

  it("when the clock moves, messages are stamped with the simulator's time", async () => {
    const { url, flowToken, alice } = await withSource();
    await control(url, "/clock", "POST", { advanceMs: 86_400_000 });
    const res = await api(url, "/messages", {
      method: "POST", headers: { "x-flowdock-wait-for-message": "true" },
      body: { flow_token: flowToken, event: "activity", title: "t", author: { name: "A" }, external_thread_id: "x", thread: { title: "T" } },
    });
    expect((res.body as { sent: number }).sent).toBeGreaterThanOrEqual(Date.now() + 86_000_000);
    // alice's token expired with the jump; a new one is issued on the moved clock.
    const fresh = await passwordToken(url, "alice@example.com");
    expect((await api(url, "/flows/acme/main/threads", { token: alice })).status).toBe(401);
    const [thread] = (await api(url, "/flows/acme/main/threads", { token: fresh })).body as { created_at: string }[];
    expect(Date.parse(thread!.created_at)).toBeGreaterThanOrEqual(Date.now() + 86_000_000);
  });

  it("when the clock moves, new sources are stamped with the simulator's time", async () => {
    const { url } = await started();
    await control(url, "/clock", "POST", { advanceMs: 86_400_000 });
    const { source } = await createSource(url);
    expect(Date.parse((source as unknown as { created_at: string }).created_at)).toBeGreaterThanOrEqual(Date.now() + 86_000_000);
  });

  it("when the clock is asked to go backwards, the answer is 400", async () => {
    const { url } = await started();
    expect((await control(url, "/clock", "POST", { advanceMs: -1 })).status).toBe(400);
  });
});

describe("reset", () => {
  it("when reset, every source, message and thread is gone, the seed is back, and old tokens are void", async () => {
    const { url, flowToken, alice } = await withSource();
    expect((await post(url, flowToken)).status).toBe(202);
    const res = await control(url, "/reset", "POST");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reset: true });
    expect((await post(url, flowToken)).status).toBe(401);
    expect((await api(url, "/flows", { token: alice })).status).toBe(401);
    const fresh = await passwordToken(url, "alice@example.com");
    expect(((await api(url, "/flows", { token: fresh })).body as { parameterized_name: string }[]).map((f) => f.parameterized_name)).toEqual(["main", "support"]);
    expect((await api(url, "/flows/acme/main/sources", { token: fresh })).body).toEqual([]);
    expect((await api(url, "/flows/acme/main/messages", { token: fresh })).body).toEqual([]);
    expect((await api(url, "/flows/acme/main/threads", { token: fresh })).body).toEqual([]);
    expect((await api(url, "/user", { token: await passwordToken(url, "bob@example.com") })).body).toMatchObject({ email: "bob@example.com" });
  });

  it("when reset, faults, forced answers, the rate limit and the clock go back to how the simulator started", async () => {
    const { url } = await started({ rateLimit: { max: 5, windowMs: 1000 } });
    const startedAt = (await state(url)).now;
    await control(url, "/faults/all", "PUT", { errorRate: 1 });
    await control(url, "/faults/messages/next", "POST", { status: 500, count: 3 });
    await control(url, "/rate-limit", "PUT", { max: 1, windowMs: 60_000 });
    await control(url, "/clock", "POST", { advanceMs: 10 * 86_400_000 });
    await control(url, "/reset", "POST");
    const after = await state(url);
    expect(after.faults).toEqual({ conditions: {}, forced: {} });
    expect(after.rateLimit).toEqual({ max: 5, windowMs: 1000 });
    expect(after.now).toBeGreaterThanOrEqual(startedAt);
    expect(after.now).toBeLessThan(startedAt + 86_400_000);
    const { source } = await createSource(url);
    expect((await post(url, source.flow_token)).status).toBe(202);
  });

  it("when reset while a request hangs, the hanging request is cut off", async () => {
    const { url, flowToken } = await withSource();
    await control(url, "/faults/messages", "PUT", { timeoutRate: 1 });
    const hanging = post(url, flowToken).then(() => "answered", () => "cut off");
    await new Promise((r) => setTimeout(r, 100));
    await control(url, "/reset", "POST");
    expect(await hanging).toBe("cut off");
  });
});

describe("the control API itself", () => {
  it("when the state is read, it shows the conditions, forced answers, rate limit and clock", async () => {
    const { url } = await started();
    await control(url, "/faults/messages", "PUT", { latencyMs: 10, timeoutRate: 0.1 });
    await control(url, "/faults/token/next", "POST", { status: 500, count: 2 });
    await control(url, "/rate-limit", "PUT", { max: 3, windowMs: 1000 });
    const s = await state(url);
    expect(s.faults.conditions).toEqual({ messages: { latencyMs: 10, errorRate: 0, timeoutRate: 0.1 } });
    expect(s.faults.forced).toEqual({ token: [{ status: 500, remaining: 2 }] });
    expect(s.rateLimit).toEqual({ max: 3, windowMs: 1000 });
    expect(Math.abs(s.now - Date.now())).toBeLessThan(60_000);
  });

  it("when the control input is wrong, it answers a JSON 4xx and changes nothing", async () => {
    const { url } = await started();
    const cases: [string, string, unknown, number][] = [
      ["/faults/everything", "PUT", { latencyMs: 1 }, 404],
      ["/faults/messages", "PUT", { errorRate: 2 }, 400],
      ["/faults/messages", "PUT", { timeoutRate: -0.1 }, 400],
      ["/faults/messages", "PUT", { latencyMs: 1.5 }, 400],
      ["/faults/messages", "PUT", { unknownKnob: 1 }, 400],
      ["/faults/messages/next", "POST", { status: 42 }, 400],
      ["/faults/messages/next", "POST", { status: 500, count: 0 }, 400],
      ["/faults/nowhere/next", "POST", { status: 500 }, 404],
    ];
    for (const [pathname, method, body, status] of cases) {
      const res = await control(url, pathname, method, body);
      expect(res.status, `${method} ${pathname} ${JSON.stringify(body)}`).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/json/);
      expect(res.body).toMatchObject({ message: expect.any(String) });
    }
    expect((await state(url)).faults).toEqual({ conditions: {}, forced: {} });
  });

  it("when an unknown control path is asked for, the answer is a JSON 404", async () => {
    const { url } = await started();
    const res = await control(url, "/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "not found" });
  });

  it("when the control API is not enabled, none of it exists", async () => {
    const { url } = await started({ controlApi: false });
    for (const [pathname, method, body] of [
      ["/state", "GET"], ["/reset", "POST"], ["/faults/messages", "PUT", { errorRate: 1 }], ["/faults/messages/next", "POST", { status: 500 }],
      ["/faults", "DELETE"], ["/rate-limit", "PUT", { max: 1, windowMs: 1000 }], ["/rate-limit", "DELETE"], ["/clock", "POST", { advanceMs: 1 }],
    ] as [string, string, unknown?][]) {
      expect((await control(url, pathname, method, body)).status, `${method} ${pathname}`).toBe(404);
    }
    // …and nothing it would have done happened.
    const { source } = await createSource(url);
    expect((await post(url, source.flow_token)).status).toBe(202);
  });

  it("when the controlApi option is left out, the control API is off", async () => {
    const { url } = await started({ controlApi: undefined });
    expect((await control(url, "/state")).status).toBe(404);
  });
});

describe("the control API's own errors", () => {
  it("when a control request's body is not JSON, the answer is a JSON 400", async () => {
    const fd = await startTestFlowdock();
    try {
      const res = await fetch(`${fd.url}/_simulator/faults/messages`, { method: "PUT", headers: { "content-type": "application/json" }, body: "{nope" });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/json/);
    } finally {
      await fd.close();
    }
  });
});
