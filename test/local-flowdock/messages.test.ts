// POST /messages (contract section 5): every rule of a post, its answers, and
// reading the flow back (messages, threads, a thread's messages), over real
// HTTP against a fresh simulator per test.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

interface Message {
  id: number; event: string; title: string | null; body: string | null; author: Record<string, unknown>; tags: string[];
  uuid: string | null; sent: number; thread_id: string; external_thread_id?: string; thread?: Record<string, unknown>;
}
interface Thread {
  id: string; external_thread_id: string | null; title: string; body: string | null; external_url: string | null;
  status: { color: string; value: string } | null; fields: { label: string; value: string }[]; actions: unknown[];
  source: { id: number; name: string; application: Record<string, unknown> } | null; created_at: string; updated_at: string;
}

const STATUS_COLORS = ["red", "green", "yellow", "cyan", "orange", "grey", "black", "lime", "purple", "blue"];

let fd: LocalFlowdock;
let flowToken: string;
let sourceId: number;
let alice: string;
beforeEach(async () => {
  fd = await startTestFlowdock();
  const { source } = await createSource(fd.url);
  flowToken = source.flow_token;
  sourceId = source.id;
  alice = await passwordToken(fd.url, "alice@example.com", "flow profile");
});
afterEach(async () => { await fd.close(); });

/** A valid activity that starts or updates thread `item:1`; `extra` overrides any field (undefined removes it). */
function activity(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    flow_token: flowToken, event: "activity", title: "opened the item", author: { name: "Tracker", email: "bot@app.test" },
    external_thread_id: "item:1",
    thread: { title: "Item 1", body: "<p>the item</p>", external_url: "http://app.test/items/1", status: { color: "green", value: "open" }, fields: [{ label: "Owner", value: "Alice" }] },
    ...extra,
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body;
}
const post = (body: unknown, headers: Record<string, string> = {}, query = "") => api(fd.url, `/messages${query}`, { method: "POST", body, headers });
const waited = (body: unknown) => post(body, { "x-flowdock-wait-for-message": "true" });
const messages = async (query = "") => (await api(fd.url, `/flows/acme/main/messages${query}`, { token: alice })).body as Message[];
const threads = async () => (await api(fd.url, "/flows/acme/main/threads", { token: alice })).body as Thread[];

async function expectValidationError(body: unknown, field: string) {
  const res = await post(body);
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body).toMatchObject({ message: "Validation error", errors: { [field]: [expect.any(String)] } });
  return res;
}

describe("posting: the answers", () => {
  it("when a valid activity is posted, the answer is 202 with an empty object", async () => {
    const res = await post(activity());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({});
    expect(await messages()).toHaveLength(1);
  });

  it("when the post asks X-flowdock-wait-for-message: true, the answer is 200 with the stored message", async () => {
    const before = Date.now();
    const res = await waited(activity({ uuid: "u-1", tags: ["a"] }));
    expect(res.status).toBe(200);
    const message = res.body as Message;
    expect(message).toMatchObject({
      id: expect.any(Number), event: "activity", title: "opened the item", author: { name: "Tracker", email: "bot@app.test" },
      uuid: "u-1", tags: ["a"], thread_id: expect.any(String), external_thread_id: "item:1", thread: { title: "Item 1" },
    });
    expect(message.sent).toBeGreaterThanOrEqual(before - 1000);
    expect(message.sent).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await messages())[0]).toEqual(message);
  });

  it("when the wait header is anything but true, the answer stays 202 {}", async () => {
    const res = await post(activity(), { "x-flowdock-wait-for-message": "false" });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({});
  });

  it("when the flow_token comes in the query string instead of the body, the post is accepted", async () => {
    const res = await post(activity({ flow_token: undefined }), {}, `?flow_token=${flowToken}`);
    expect(res.status).toBe(202);
    expect(await messages()).toHaveLength(1);
  });

  it("when the post is form-encoded, as older clients sent it, it is accepted", async () => {
    const form = new URLSearchParams({
      flow_token: flowToken, event: "activity", title: "form post", "author[name]": "Form", external_thread_id: "form:1",
      "thread[title]": "Form thread", tags: "x, y",
    });
    const res = await fetch(`${fd.url}/messages`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
    expect(res.status).toBe(202);
    expect(await messages()).toMatchObject([{ title: "form post", author: { name: "Form" }, tags: ["x", "y"] }]);
  });

  it("when the flow_token is unknown, the answer is 401 and nothing is stored", async () => {
    const res = await post(activity({ flow_token: "no-such-token" }));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ message: expect.any(String) });
    expect(await messages()).toEqual([]);
  });

  it("when there is no flow_token at all, the answer is 401", async () => {
    expect((await post(activity({ flow_token: undefined }))).status).toBe(401);
  });

  it("when a user's access token is sent instead of a flow_token, the answer is 401", async () => {
    expect((await post(activity({ flow_token: alice }))).status).toBe(401);
  });

  it("when the source was deleted, its flow token gets 410 Gone and nothing is stored", async () => {
    const owner = await passwordToken(fd.url, "alice@example.com");
    expect((await api(fd.url, `/flows/acme/main/sources/${sourceId}`, { method: "DELETE", token: owner })).status).toBe(204);
    const res = await post(activity());
    expect(res.status).toBe(410);
    expect(await messages()).toEqual([]);
  });

  it("when the source was deleted, even an invalid post gets 410, so the integration learns to stop", async () => {
    const owner = await passwordToken(fd.url, "alice@example.com");
    await api(fd.url, `/flows/acme/main/sources/${sourceId}`, { method: "DELETE", token: owner });
    expect((await post({ flow_token: flowToken })).status).toBe(410);
  });

  it("when the body is not valid JSON, the answer is 400 and nothing is stored", async () => {
    const res = await fetch(`${fd.url}/messages`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: `{"flow_token": "${flowToken}", "event": ` });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: expect.any(String) });
    expect(await messages()).toEqual([]);
  });

  it("when the body is huge (2 MB), the answer is 413 and nothing is stored", async () => {
    const res = await fetch(`${fd.url}/messages`, {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(activity({ body: "x".repeat(2 * 1024 * 1024) })),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ message: expect.any(String) });
    expect(await messages()).toEqual([]);
    expect(await threads()).toEqual([]);
    // The simulator is still fine afterwards.
    expect((await post(activity())).status).toBe(202);
  });
});

describe("posting: validation", () => {
  it("when an activity has no title (or a blank one), the answer is 400 with a field error for title", async () => {
    await expectValidationError(activity({ title: undefined }), "title");
    await expectValidationError(activity({ title: "   " }), "title");
    expect(await messages()).toEqual([]);
  });

  it("when a discussion has no title, it is accepted: it carries its comment in body", async () => {
    expect((await post(activity())).status).toBe(202);
    const res = await post(activity({ event: "discussion", title: undefined, body: "<p>Looks good</p>", thread: undefined }));
    expect(res.status).toBe(202);
    expect((await messages()).map((m) => [m.event, m.title, m.body])).toEqual([["activity", "opened the item", null], ["discussion", null, "<p>Looks good</p>"]]);
  });

  it("when the event is missing or not activity/discussion, the answer is 400 for event", async () => {
    await expectValidationError(activity({ event: undefined }), "event");
    await expectValidationError(activity({ event: "comment" }), "event");
  });

  it("when author is missing, the answer is 400 for author", async () => {
    await expectValidationError(activity({ author: undefined }), "author");
  });

  it("when author has no name (or a blank one), the answer is 400 for author.name", async () => {
    await expectValidationError(activity({ author: { email: "a@b.test" } }), "author.name");
    await expectValidationError(activity({ author: { name: "" } }), "author.name");
  });

  it("when the author's avatar or email is malformed, the answer is 400 for that field", async () => {
    await expectValidationError(activity({ author: { name: "A", avatar: "not a url" } }), "author.avatar");
    await expectValidationError(activity({ author: { name: "A", email: "nope" } }), "author.email");
  });

  it("when neither external_thread_id nor thread_id is given, the answer is 400", async () => {
    const res = await expectValidationError(activity({ external_thread_id: undefined }), "external_thread_id");
    expect(JSON.stringify(res.body)).toContain("thread_id");
  });

  it("when a new thread is started without thread, the answer is 400 for thread", async () => {
    await expectValidationError(activity({ thread: undefined }), "thread");
    expect(await threads()).toEqual([]);
  });

  it("when thread has no title, the answer is 400 for thread.title", async () => {
    await expectValidationError(activity({ thread: { body: "no title" } }), "thread.title");
    await expectValidationError(activity({ thread: { title: "" } }), "thread.title");
  });

  it("when thread.external_url is not an http(s) URL, the answer is 400", async () => {
    await expectValidationError(activity({ thread: { title: "T", external_url: "javascript:alert(1)" } }), "thread.external_url");
  });

  it("when a thread field has no label, the answer is 400 for that field", async () => {
    const res = await post(activity({ thread: { title: "T", fields: [{ value: "v" }] } }));
    expect(res.status).toBe(400);
    expect(Object.keys((res.body as { errors: object }).errors)).toEqual(["thread.fields.0.label"]);
  });

  it.each(STATUS_COLORS)("when the status colour is %s, the post is accepted and the thread shows it", async (color) => {
    expect((await post(activity({ thread: { title: "T", status: { color, value: "state" } } }))).status).toBe(202);
    expect((await threads())[0]!.status).toEqual({ color, value: "state" });
  });

  it("when the status colour is not one of the allowed ten, the answer is 400 for thread.status.color and nothing is stored", async () => {
    for (const color of ["pink", "Green", "#00ff00", ""]) {
      await expectValidationError(activity({ thread: { title: "T", status: { color, value: "x" } } }), "thread.status.color");
    }
    expect(await threads()).toEqual([]);
  });

  it("when the status has no value, the answer is 400 for thread.status.value", async () => {
    await expectValidationError(activity({ thread: { title: "T", status: { color: "red" } } }), "thread.status.value");
  });

  it("when several rules are broken at once, every broken field is named", async () => {
    const res = await post({ flow_token: flowToken, event: "activity", author: {}, thread: { status: { color: "pink", value: "v" } } });
    expect(res.status).toBe(400);
    const errors = (res.body as { errors: Record<string, string[]> }).errors;
    expect(Object.keys(errors)).toEqual(expect.arrayContaining(["title", "author.name", "external_thread_id", "thread.title", "thread.status.color"]));
  });

  it("when a text is longer than its limit, the answer is 400 for that field", async () => {
    await expectValidationError(activity({ title: "t".repeat(1001) }), "title");
    await expectValidationError(activity({ external_thread_id: "e".repeat(256) }), "external_thread_id");
    await expectValidationError(activity({ thread: { title: "T".repeat(256) } }), "thread.title");
    expect((await post(activity({ title: "t".repeat(1000) }))).status).toBe(202);
  });

  it("when thread_id names no thread in this flow, the answer is 400 for thread_id", async () => {
    await expectValidationError(activity({ external_thread_id: undefined, thread_id: "no-such-thread" }), "thread_id");
  });

  it("when a thread action is malformed, the answer is 400; a well-formed one is kept on the thread", async () => {
    await expectValidationError(activity({ thread: { title: "T", actions: [{ "@type": "ViewAction", name: "Open" }] } }), "thread.actions.0.url");
    const actions = [
      { "@type": "ViewAction", name: "Open", url: "http://app.test/items/1" },
      { "@type": "UpdateAction", name: "Close", target: { "@type": "EntryPoint", urlTemplate: "http://app.test/items/1/close", httpMethod: "POST" } },
    ];
    expect((await post(activity({ thread: { title: "T", actions } }))).status).toBe(202);
    expect((await threads())[0]!.actions).toEqual(actions);
  });
});

describe("posting: tags", () => {
  it("when tags are an array, they are stored as given", async () => {
    await post(activity({ tags: ["bug", "urgent"] }));
    expect((await messages())[0]!.tags).toEqual(["bug", "urgent"]);
  });

  it("when tags are a comma-separated string, they are split and trimmed", async () => {
    await post(activity({ tags: "bug, urgent ,,  ui" }));
    expect((await messages())[0]!.tags).toEqual(["bug", "urgent", "ui"]);
  });

  it("when there are no tags, the message has an empty tag list", async () => {
    await post(activity());
    expect((await messages())[0]!.tags).toEqual([]);
  });

  it("when tags are neither an array nor a string, the answer is 400 for tags", async () => {
    await expectValidationError(activity({ tags: 42 }), "tags");
  });
});

describe("posting: idempotency and threads", () => {
  it("when the same uuid is posted twice, the message is stored once and both answers succeed", async () => {
    const first = await waited(activity({ uuid: "retry-me" }));
    const second = await waited(activity({ uuid: "retry-me", title: "a changed retry" }));
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await post(activity({ uuid: "retry-me" }))).status).toBe(202);
    const stored = await messages();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ uuid: "retry-me", title: "opened the item" });
  });

  it("when the same uuid is posted many times at once, it is still stored once", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(activity({ uuid: "burst" }))));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect((await messages()).map((m) => m.uuid)).toEqual(["burst"]);
  });

  it("when different uuids are posted, each is stored", async () => {
    await post(activity({ uuid: "a" }));
    await post(activity({ uuid: "b" }));
    await post(activity());
    await post(activity());
    expect((await messages()).map((m) => m.uuid)).toEqual(["a", "b", null, null]);
  });

  it("when two sources in different flows use the same uuid, each flow stores its own message", async () => {
    const owner = await passwordToken(fd.url, "alice@example.com");
    const other = (await api(fd.url, "/flows/acme/support/sources", { method: "POST", token: owner, body: { name: "Support feed" } })).body as { flow_token: string };
    expect((await post(activity({ uuid: "same" }))).status).toBe(202);
    expect((await post(activity({ uuid: "same", flow_token: other.flow_token }))).status).toBe(202);
    expect(await messages()).toHaveLength(1);
    expect(((await api(fd.url, "/flows/acme/support/messages", { token: alice })).body as Message[])).toHaveLength(1);
  });

  it("when a later post has the same external_thread_id, it updates the thread's title, status and fields and adds its message", async () => {
    await post(activity());
    const [created] = await threads();
    await new Promise((r) => setTimeout(r, 5));
    const res = await post(activity({
      title: "closed the item",
      thread: { title: "Item 1 (renamed)", status: { color: "red", value: "closed" }, fields: [{ label: "Owner", value: "Bob" }, { label: "Votes", value: "3" }] },
    }));
    expect(res.status).toBe(202);
    const all = await threads();
    expect(all).toHaveLength(1);
    const thread = all[0]!;
    expect(thread).toMatchObject({
      id: created!.id, external_thread_id: "item:1", title: "Item 1 (renamed)", status: { color: "red", value: "closed" },
      fields: [{ label: "Owner", value: "Bob" }, { label: "Votes", value: "3" }], created_at: created!.created_at,
    });
    // Each post carries the full state: what the later post left out is gone.
    expect(thread.body).toBeNull();
    expect(thread.external_url).toBeNull();
    expect(Date.parse(thread.updated_at)).toBeGreaterThan(Date.parse(created!.updated_at));
    const inThread = (await api(fd.url, `/flows/acme/main/threads/${thread.id}/messages`, { token: alice })).body as Message[];
    expect(inThread.map((m) => m.title)).toEqual(["opened the item", "closed the item"]);
    expect(inThread.map((m) => m.thread_id)).toEqual([thread.id, thread.id]);
  });

  it("when a post names an existing thread by thread_id, the message joins that thread", async () => {
    const first = (await waited(activity())).body as Message;
    const res = await post(activity({ external_thread_id: undefined, thread_id: first.thread_id, event: "discussion", title: undefined, body: "a comment", thread: undefined }));
    expect(res.status).toBe(202);
    const stored = await messages();
    expect(stored.map((m) => m.thread_id)).toEqual([first.thread_id, first.thread_id]);
    expect(stored[1]).toMatchObject({ event: "discussion", body: "a comment", external_thread_id: "item:1" });
    expect(await threads()).toHaveLength(1);
  });

  it("when a post to an existing thread carries no thread state, the thread keeps its title and status", async () => {
    await post(activity());
    expect((await post(activity({ event: "discussion", title: undefined, body: "comment", thread: undefined }))).status).toBe(202);
    expect((await threads())[0]).toMatchObject({ title: "Item 1", status: { color: "green", value: "open" } });
  });

  it("when two sources post the same external_thread_id, each gets its own thread", async () => {
    const owner = await passwordToken(fd.url, "alice@example.com");
    const other = (await api(fd.url, "/flows/acme/main/sources", { method: "POST", token: owner, body: { name: "Other" } })).body as { flow_token: string; id: number };
    await post(activity());
    await post(activity({ flow_token: other.flow_token, thread: { title: "Other's item 1" } }));
    const all = await threads();
    expect(all).toHaveLength(2);
    expect(all.map((t) => [t.source?.id, t.title])).toEqual([[other.id, "Other's item 1"], [sourceId, "Item 1"]]);
  });
});

describe("reading a flow back", () => {
  it("when messages are read, they come oldest first with every field of the contract", async () => {
    await post(activity({ uuid: "m1", tags: "x" }));
    await post(activity({ uuid: "m2", title: "second", external_thread_id: "item:2", thread: { title: "Item 2" } }));
    await post(activity({ uuid: "m3", event: "discussion", title: undefined, body: "third", thread: undefined }));
    const res = await api(fd.url, "/flows/acme/main/messages", { token: alice });
    expect(res.status).toBe(200);
    const all = res.body as Message[];
    expect(all.map((m) => m.uuid)).toEqual(["m1", "m2", "m3"]);
    expect(all.map((m) => m.id)).toEqual([...all.map((m) => m.id)].sort((a, b) => a - b));
    for (const m of all) {
      expect(Object.keys(m)).toEqual(expect.arrayContaining(["id", "event", "title", "body", "author", "uuid", "sent", "thread_id", "external_thread_id"]));
      expect(typeof m.sent).toBe("number");
    }
    expect(all[0]).toMatchObject({ event: "activity", title: "opened the item", author: { name: "Tracker" }, external_thread_id: "item:1", thread: { title: "Item 1", status: { color: "green", value: "open" } } });
    expect(all[1]).toMatchObject({ external_thread_id: "item:2", thread: { title: "Item 2" } });
    expect(all[2]).toMatchObject({ event: "discussion", body: "third", external_thread_id: "item:1" });
    expect(all[2]).not.toHaveProperty("thread");
    expect(all[0]!.sent).toBeLessThanOrEqual(all[2]!.sent);
  });

  it("when since_id is given, only later messages come back, oldest first", async () => {
    for (const uuid of ["a", "b", "c", "d"]) await post(activity({ uuid }));
    const all = await messages();
    expect((await messages(`?since_id=${all[1]!.id}`)).map((m) => m.uuid)).toEqual(["c", "d"]);
    expect(await messages(`?since_id=${all[3]!.id}`)).toEqual([]);
    expect((await messages(`?since_id=${all[0]!.id}&limit=2`)).map((m) => m.uuid)).toEqual(["b", "c"]);
  });

  it("when no limit is given, the latest 30 come back, oldest first", async () => {
    for (let i = 0; i < 35; i++) expect((await post(activity({ uuid: `m${i}` }))).status).toBe(202);
    const page = await messages();
    expect(page.map((m) => m.uuid)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i + 5}`));
    expect((await messages("?limit=100")).length).toBe(35);
  });

  it("when limit is given, the latest that many come back, still oldest first", async () => {
    for (const uuid of ["a", "b", "c", "d"]) await post(activity({ uuid }));
    expect((await messages("?limit=2")).map((m) => m.uuid)).toEqual(["c", "d"]);
  });

  it("when limit or since_id is not a whole number in range, the answer is 400", async () => {
    for (const query of ["?limit=0", "?limit=101", "?limit=abc", "?since_id=-1", "?since_id=x"]) {
      const res = await api(fd.url, `/flows/acme/main/messages${query}`, { token: alice });
      expect(res.status, query).toBe(400);
      expect(res.body).toMatchObject({ message: "Validation error" });
    }
  });

  it("when threads are read, the most recently updated comes first, with its source", async () => {
    await post(activity({ external_thread_id: "a", thread: { title: "A" } }));
    await post(activity({ external_thread_id: "b", thread: { title: "B" } }));
    await post(activity({ external_thread_id: "c", thread: { title: "C" } }));
    expect((await threads()).map((t) => t.title)).toEqual(["C", "B", "A"]);
    await post(activity({ external_thread_id: "a", thread: { title: "A again" } }));
    const all = await threads();
    expect(all.map((t) => t.title)).toEqual(["A again", "C", "B"]);
    expect(all[0]).toMatchObject({
      id: expect.any(String), external_thread_id: "a", body: null, external_url: null, status: null, fields: [],
      source: { id: sourceId, name: "Website", application: { name: "Tracker" } }, created_at: expect.any(String), updated_at: expect.any(String),
    });
  });

  it("when a discussion lands in an old thread, that thread moves to the top", async () => {
    await post(activity({ external_thread_id: "a", thread: { title: "A" } }));
    await post(activity({ external_thread_id: "b", thread: { title: "B" } }));
    await post(activity({ external_thread_id: "a", event: "discussion", title: undefined, body: "bump", thread: undefined }));
    expect((await threads()).map((t) => t.title)).toEqual(["A", "B"]);
  });

  it("when one thread is read with its messages, only that thread's messages come, in order", async () => {
    await post(activity({ external_thread_id: "a", title: "a1", thread: { title: "A" } }));
    await post(activity({ external_thread_id: "b", title: "b1", thread: { title: "B" } }));
    await post(activity({ external_thread_id: "a", title: "a2", thread: { title: "A" } }));
    const a = (await threads()).find((t) => t.external_thread_id === "a")!;
    const one = await api(fd.url, `/flows/acme/main/threads/${a.id}`, { token: alice });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: a.id, title: "A" });
    const res = await api(fd.url, `/flows/acme/main/threads/${a.id}/messages`, { token: alice });
    expect(res.status).toBe(200);
    expect((res.body as Message[]).map((m) => m.title)).toEqual(["a1", "a2"]);
  });

  it("when the thread id is unknown, or belongs to another flow, the answer is 404", async () => {
    await post(activity());
    const [thread] = await threads();
    expect((await api(fd.url, "/flows/acme/main/threads/nope/messages", { token: alice })).status).toBe(404);
    expect((await api(fd.url, "/flows/acme/main/threads/nope", { token: alice })).status).toBe(404);
    const elsewhere = await api(fd.url, `/flows/acme/support/threads/${thread!.id}/messages`, { token: alice });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toEqual({ message: "not found" });
  });

  it("when messages land in one flow, another flow stays empty", async () => {
    await post(activity());
    expect((await api(fd.url, "/flows/acme/support/messages", { token: alice })).body).toEqual([]);
    expect((await api(fd.url, "/flows/acme/support/threads", { token: alice })).body).toEqual([]);
  });

  it("when bob reads Support, which he is not in, every read-back answers 404", async () => {
    const bob = await passwordToken(fd.url, "bob@example.com");
    for (const path of ["/flows/acme/support/messages", "/flows/acme/support/threads"]) {
      const res = await api(fd.url, path, { token: bob });
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ message: "not found" });
    }
  });

  it("when the reader has no token or a flow_token instead, the answer is 401", async () => {
    expect((await api(fd.url, "/flows/acme/main/messages")).status).toBe(401);
    expect((await api(fd.url, `/flows/acme/main/messages?flow_token=${flowToken}`)).status).toBe(401);
    expect((await api(fd.url, "/flows/acme/main/threads", { token: flowToken })).status).toBe(401);
  });
});
