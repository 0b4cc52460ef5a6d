// POST /messages with every rule of contract section 5, and reading a flow back.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

// Read-back answers, loosely typed: each test checks the fields it cares about.
type Json = { id?: unknown; title?: unknown; sent?: unknown; event?: unknown; external_thread_id?: unknown; [key: string]: unknown };

let fd: LocalFlowdock;
let flowToken: string;
let alice: string;
beforeEach(async () => {
  fd = await startTestFlowdock();
  ({ source: { flow_token: flowToken }, userToken: alice } = await createSource(fd.url));
});
afterEach(async () => { await fd.close(); });

const activity = (overrides: Record<string, unknown> = {}) => ({
  flow_token: flowToken, event: "activity", title: "opened the issue", author: { name: "Dana", email: "dana@example.com" },
  external_thread_id: "issue:1", thread: { title: "Broken link", status: { color: "green", value: "open" }, fields: [{ label: "Priority", value: "high" }] },
  ...overrides,
});
const post = (body: unknown, headers: Record<string, string> = {}) => api(fd.url, "/messages", { method: "POST", body, headers });
const messages = async () => (await api(fd.url, "/flows/acme/main/messages?limit=100", { token: alice })).body as Json[];

describe("posting messages", () => {
  it("when an activity is posted, the answer is 202 {} and the message is in the flow with its thread", async () => {
    const res = await post(activity({ tags: "bug, ui", uuid: "u-1" }));
    expect(res).toMatchObject({ status: 202, body: {} });
    const [stored] = await messages();
    expect(stored).toMatchObject({ event: "activity", title: "opened the issue", author: { name: "Dana" }, uuid: "u-1", external_thread_id: "issue:1", thread: { title: "Broken link" } });
    expect(typeof stored!.sent).toBe("number");
  });

  it("when the client asks to wait for the message, the answer is 200 with it", async () => {
    const res = await post(activity(), { "X-flowdock-wait-for-message": "true" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event: "activity", title: "opened the issue", thread_id: expect.anything() });
  });

  it("when a field breaks a rule, the answer is 400 Validation error naming the field, and nothing is stored", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ title: undefined }, "title"],
      [{ author: {} }, "author.name"],
      [{ author: undefined }, "author"],
      [{ external_thread_id: undefined }, "external_thread_id"],
      [{ thread: { title: "" } }, "thread.title"],
      [{ thread: { title: "T", status: { color: "pink", value: "x" } } }, "thread.status.color"],
      [{ event: "poke" }, "event"],
      [{ event: "discussion", body: "" }, "body"],
    ];
    for (const [overrides, field] of cases) {
      const res = await post(activity(overrides));
      expect(res.status, field).toBe(400);
      expect(res.body).toMatchObject({ message: "Validation error" });
      expect(Object.keys((res.body as { errors: object }).errors), field).toContain(field);
    }
    expect(await messages()).toEqual([]);
  });

  it("when tags come as an array or a comma-separated string, both are stored as a list", async () => {
    await post(activity({ tags: ["a", "b"], uuid: "x1" }));
    await post(activity({ tags: "c, d", uuid: "x2" }));
    const tagsOf = async (uuid: string) => ((await post(activity({ uuid }), { "X-flowdock-wait-for-message": "true" })).body as { tags: string[] }).tags;
    expect(await tagsOf("x1")).toEqual(["a", "b"]);
    expect(await tagsOf("x2")).toEqual(["c", "d"]);
  });

  it("when the flow token is in the query string instead of the body, it works the same", async () => {
    const { flow_token: _omitted, ...body } = activity();
    const res = await api(fd.url, `/messages?flow_token=${flowToken}`, { method: "POST", body });
    expect(res.status).toBe(202);
  });

  it("when the flow token is unknown or missing, the answer is 401", async () => {
    expect((await post(activity({ flow_token: "nope" }))).status).toBe(401);
    expect((await post(activity({ flow_token: undefined }))).status).toBe(401);
  });

  it("when the same uuid is posted twice, the flow keeps one message", async () => {
    expect((await post(activity({ uuid: "same" }))).status).toBe(202);
    expect((await post(activity({ uuid: "same" }))).status).toBe(202);
    expect(await messages()).toHaveLength(1);
  });

  it("when a later post has the same external_thread_id, the thread takes its title, status and fields and gains the message", async () => {
    const closed = { title: "Broken footer link", status: { color: "red", value: "closed" }, fields: [{ label: "Priority", value: "low" }] };
    await post(activity());
    await post(activity({ title: "closed the issue", thread: closed }));
    await post(activity({ event: "discussion", title: undefined, body: "<p>Done</p>", thread: closed }));
    const threads = (await api(fd.url, "/flows/acme/main/threads", { token: alice })).body as Json[];
    expect(threads).toHaveLength(1);
    expect(threads[0]).toMatchObject({ external_thread_id: "issue:1", title: "Broken footer link", status: { color: "red", value: "closed" }, fields: [{ label: "Priority", value: "low" }], source: { name: "Website" } });
    const inThread = (await api(fd.url, `/flows/acme/main/threads/${threads[0]!.id}/messages`, { token: alice })).body as Json[];
    expect(inThread.map((m) => m.event)).toEqual(["activity", "activity", "discussion"]);
  });

  it("when a flow has many messages, /messages pages oldest first with since_id and limit; /threads is most recently updated first", async () => {
    for (let i = 1; i <= 5; i++) await post(activity({ external_thread_id: `t${i}`, title: `m${i}` }));
    await post(activity({ external_thread_id: "t1", title: "m6" }));
    const firstTwo = (await api(fd.url, "/flows/acme/main/messages?since_id=0&limit=2", { token: alice })).body as Json[];
    expect(firstTwo.map((m) => m.title)).toEqual(["m1", "m2"]);
    const next = (await api(fd.url, `/flows/acme/main/messages?since_id=${firstTwo[1]!.id}&limit=2`, { token: alice })).body as Json[];
    expect(next.map((m) => m.title)).toEqual(["m3", "m4"]);
    const threads = (await api(fd.url, "/flows/acme/main/threads", { token: alice })).body as Json[];
    expect(threads[0]!.external_thread_id).toBe("t1");
    expect((await api(fd.url, "/flows/acme/main/messages?limit=1000", { token: alice })).status).toBe(400);
  });

  it("when the body is not JSON or is huge, the answer is a 4xx and nothing is stored", async () => {
    const bad = await fetch(`${fd.url}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(bad.status).toBe(400);
    const huge = await post(activity({ body: "x".repeat(2_000_000) }));
    expect(huge.status).toBe(413);
    expect(await messages()).toEqual([]);
    expect((await api(fd.url, "/healthz")).status).toBe(200);
    expect((await passwordToken(fd.url, "alice@example.com")).length).toBeGreaterThan(10);
  });
});
