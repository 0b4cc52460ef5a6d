// The Streaming API (docs/streaming.md) over real HTTP: JSON stream and event
// stream, resuming with Last-Event-ID, keep-alives, every error answered as
// JSON, streams ended by token expiry and by the server stopping, and
// Flowdock's own Node.js client listening.
import { createRequire } from "node:module";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { openStream, type OpenedStream } from "../support/streams.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let flowToken: string;
let sourceId: number;
let aliceToken: string;
let bob: string;
let opened: OpenedStream[];

async function start(overrides: Parameters<typeof startTestFlowdock>[0] = {}) {
  fd = await startTestFlowdock({ streamKeepAliveMs: 60_000, ...overrides });
  const { source, userToken } = await createSource(fd.url);
  flowToken = source.flow_token;
  sourceId = source.id;
  aliceToken = userToken;
  bob = await passwordToken(fd.url, "bob@example.com", "flow profile");
}
beforeEach(() => { opened = []; });
afterEach(async () => {
  for (const s of opened) s.close();
  await fd.close();
});

async function listen(path: string, headers: Record<string, string> = {}) {
  const s = await openStream(`${fd.url}${path}`, headers);
  opened.push(s);
  return s;
}
const asBob = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${bob}`, ...extra });

/** The integration (alice's source) posts an activity to acme/main. */
async function postActivity(title: string, item = "item:1") {
  const res = await api(fd.url, "/messages", {
    method: "POST",
    body: { flow_token: flowToken, event: "activity", title, author: { name: "Tracker" }, external_thread_id: item, thread: { title: `Thread ${item}` } },
  });
  expect(res.status).toBe(202);
}

describe("JSON stream", () => {
  beforeEach(() => start());

  it("when another user's integration posts to a flow bob streams, bob receives it as one JSON line ending in \\r\\n", async () => {
    const stream = await listen("/flows?filter=acme/main", asBob());
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toMatch(/^application\/json/);
    await postActivity("opened the item");
    await stream.waitFor((t) => t.includes("opened the item"));
    const [event] = stream.jsonEvents().filter((e) => e.event === "activity");
    const flow = (await api(fd.url, "/flows/acme/main", { token: bob })).body as { id: string };
    expect(event).toMatchObject({ event: "activity", title: "opened the item", flow: flow.id, thread_id: expect.any(String), author: { name: "Tracker" } });
    expect(stream.text()).toMatch(/"opened the item"[^\r\n]*\}\r\n/);
  });

  it("when alice posts, edits and deletes a chat message as herself, bob's stream carries the message, its edit and its deletion", async () => {
    const stream = await listen("/flows?filter=acme/main", asBob());
    const posted = await api(fd.url, "/flows/acme/main/messages", { method: "POST", token: aliceToken, body: { event: "message", content: "hello bob" }, headers: { "x-flowdock-wait-for-message": "true" } });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const id = (posted.body as { id: number }).id;
    await stream.waitFor((t) => t.includes("hello bob"));
    expect(stream.jsonEvents().find((e) => e.event === "message")).toMatchObject({ id, content: "hello bob", app: "chat", user: expect.any(String) });
    expect((await api(fd.url, `/flows/acme/main/messages/${id}`, { method: "PUT", token: aliceToken, body: { content: "hello again" } })).status).toBeLessThan(300);
    await stream.waitFor((t) => t.includes("hello again"));
    expect(stream.jsonEvents().find((e) => e.event === "message-edit")).toMatchObject({ content: { message: id, updated_content: "hello again" } });
    expect((await api(fd.url, `/flows/acme/main/messages/${id}`, { method: "DELETE", token: aliceToken })).status).toBeLessThan(300);
    // Deleting a chat message empties it, as on the hosted service: an edit to "".
    await stream.waitFor((t) => t.includes('"updated_content":""'));
  });

  it("when the filter names flows by id, and by the single-flow path, both streams receive the flow's posts", async () => {
    const flow = (await api(fd.url, "/flows/acme/main", { token: bob })).body as { id: string };
    const byId = await listen(`/flows?filter=${flow.id}`, asBob());
    const single = await listen("/flows/acme/main?accept=application/json", asBob());
    const host = await listen("/stream/flows/acme/main", asBob());
    await postActivity("by every path");
    for (const s of [byId, single, host]) await s.waitFor((t) => t.includes("by every path"));
  });

  it("when a post goes to a flow the stream does not follow, the stream stays silent about it", async () => {
    const stream = await listen("/flows?filter=acme/support", { authorization: `Bearer ${aliceToken}` });
    await postActivity("not for support");
    const main = await listen("/flows?filter=acme/main", asBob());
    await postActivity("for main");
    await main.waitFor((t) => t.includes("for main"));
    expect(stream.text()).not.toContain("not for support");
    expect(stream.text()).not.toContain("for main");
  });

  it("when a source's error message changes, the flow's stream gets a source-error event with the error", async () => {
    const stream = await listen("/flows?filter=acme/main", asBob());
    const res = await api(fd.url, `/flows/acme/main/sources/${sourceId}`, { method: "PUT", token: aliceToken, body: { error_message: "Tracker lost access" } });
    expect(res.status).toBe(200);
    await stream.waitFor((t) => t.includes("Tracker lost access"));
    expect(stream.jsonEvents().find((e) => e.event === "source-error")).toMatchObject({ content: { id: sourceId, error_message: "Tracker lost access" } });
  });

  it("when a thread's state changes, the stream carries a thread-change event with the thread's new status", async () => {
    await postActivity("opened");
    const stream = await listen("/flows?filter=acme/main", asBob());
    const res = await api(fd.url, "/messages", {
      method: "POST",
      body: { flow_token: flowToken, event: "activity", title: "closed", author: { name: "Tracker" }, external_thread_id: "item:1", thread: { title: "Thread item:1", status: { color: "red", value: "closed" } } },
    });
    expect(res.status).toBe(202);
    await stream.waitFor((t) => t.includes("thread-change") && t.includes("\"closed\""));
    expect(stream.jsonEvents().find((e) => e.event === "thread-change")).toMatchObject({ content: { status: { color: "red", value: "closed" } } });
  });

  it("when only user=1 is asked (private messages, which the local Flowdock has none of), the stream opens and stays open", async () => {
    const stream = await listen("/flows?user=1", asBob());
    expect(stream.status).toBe(200);
    await postActivity("not private");
    const main = await listen("/flows?filter=acme/main", asBob());
    await postActivity("to main");
    await main.waitFor((t) => t.includes("to main"));
    expect(stream.text().trim()).toBe("");
  });

  it("without a filter, GET /flows is still the REST list of flows, and GET /flows/:org/:flow the REST flow", async () => {
    const list = await api(fd.url, "/flows", { token: bob });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    const flow = await api(fd.url, "/flows/acme/main", { token: bob });
    expect(flow.body).toMatchObject({ parameterized_name: "main" });
  });
});

describe("keep-alives", () => {
  beforeEach(() => start({ streamKeepAliveMs: 40 }));

  it("when nothing happens in the flow, the JSON stream sends bare newlines and the event stream comments", async () => {
    const json = await listen("/flows?filter=acme/main", asBob());
    const sse = await listen("/flows?filter=acme/main", asBob({ accept: "text/event-stream" }));
    await json.waitFor((t) => t.split("\n").length >= 3);
    await sse.waitFor((t) => (t.match(/^:\n\n/gm) ?? []).length >= 2);
    expect(json.text().trim()).toBe("");
  });
});

describe("event stream", () => {
  beforeEach(() => start());

  it("when asked with Accept: text/event-stream, each event has an id and its message as data", async () => {
    const stream = await listen("/flows?filter=acme/main", asBob({ accept: "text/event-stream" }));
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    await postActivity("first");
    await stream.waitFor((t) => t.includes("first"));
    const [event] = stream.sseEvents();
    expect(event!.id).toMatch(/^\d+$/);
    expect(event!.data).toMatchObject({ event: "activity", title: "first" });
  });

  it("when a client reconnects with Last-Event-ID, it gets exactly the events it missed, then live ones", async () => {
    const first = await listen(`/flows?filter=acme/main&accept=text/event-stream&access_token=${bob}`);
    await postActivity("seen");
    await first.waitFor((t) => t.includes("seen"));
    const lastSeen = first.sseEvents().at(-1)!.id!;
    first.close();
    await postActivity("missed one", "item:2");
    await postActivity("missed two", "item:3");
    const again = await listen(`/flows?filter=acme/main&accept=text/event-stream&access_token=${bob}`, { "last-event-id": lastSeen });
    await again.waitFor((t) => t.includes("missed two"));
    await postActivity("live");
    await again.waitFor((t) => t.includes("live"));
    const titles = again.sseEvents().filter((e) => e.data.event === "activity").map((e) => e.data.title);
    expect(titles).toEqual(["missed one", "missed two", "live"]);
    const ids = again.sseEvents().map((e) => Number(e.id));
    expect(ids.every((id) => id > Number(lastSeen))).toBe(true);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it("when a message is removed from the store, streams get message-delete and a resumed stream skips the message that is gone", async () => {
    const stream = await listen("/flows?filter=acme/main", asBob({ accept: "text/event-stream" }));
    await postActivity("soon gone");
    await stream.waitFor((t) => t.includes("soon gone"));
    const id = stream.sseEvents()[0]!.data.id as number;
    fd.store.db.prepare("DELETE FROM messages WHERE id = ?").run(id);
    await stream.waitFor((t) => t.includes("message-delete"));
    expect(stream.sseEvents().at(-1)!.data).toMatchObject({ event: "message-delete", content: { message: id } });
    const replay = await listen("/flows?filter=acme/main", asBob({ accept: "text/event-stream", "last-event-id": "0" }));
    await replay.waitFor((t) => t.includes("message-delete"));
    expect(replay.text()).not.toContain("soon gone");
  });
});

describe("errors are JSON answers, not streams", () => {
  beforeEach(() => start());

  const cases: [string, string, () => Record<string, string>, number][] = [
    ["no credentials", "/flows?filter=acme/main", () => ({}), 401],
    ["an unknown token", "/flows?filter=acme/main", () => ({ authorization: "Bearer nope" }), 401],
    ["a wrong password over Basic", "/flows?filter=acme/main", () => ({ authorization: `Basic ${Buffer.from("bob@example.com:wrong").toString("base64")}` }), 401],
    ["an unknown flow", "/flows?filter=acme/nowhere", () => asBob(), 404],
    ["a flow bob is not in", "/flows?filter=acme/support", () => asBob(), 404],
    ["one visible and one invisible flow", "/flows?filter=acme/main,acme/support", () => asBob(), 404],
    ["an unknown flow by path", "/flows/acme/nowhere?accept=text/event-stream", () => asBob(), 404],
    ["an event stream with no filter", "/flows", () => asBob({ accept: "text/event-stream" }), 400],
    ["an empty filter", "/flows?filter=", () => asBob(), 400],
    ["a Last-Event-ID that is not an id", "/flows?filter=acme/main", () => asBob({ "last-event-id": "abc" }), 400],
  ];
  for (const [what, path, headers, status] of cases) {
    it(`when the request has ${what}, the answer is ${status} JSON`, async () => {
      const res = await fetch(`${fd.url}${path}`, { headers: headers() });
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toHaveProperty("message");
    });
  }

  it("when a HEAD asks for a stream, the answer is the stream's headers and no open connection", async () => {
    const res = await fetch(`${fd.url}/flows?filter=acme/main`, { method: "HEAD", headers: asBob() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(fd.ctx.streams.size).toBe(0);
  });

  it("when the token lacks a flow scope, the answer is 403 JSON", async () => {
    const profileOnly = await passwordToken(fd.url, "bob@example.com", "profile");
    const res = await fetch(`${fd.url}/flows?filter=acme/main`, { headers: { authorization: `Bearer ${profileOnly}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toHaveProperty("message");
  });
});

describe("the event log", () => {
  /** A post written straight through the store, as any writer of the local Flowdock would. */
  function storePost(title: string) {
    const flow = fd.store.directory.flowByPath("acme", "main")!;
    return fd.store.inbox.post({ flowId: flow.id, sourceId, event: "activity", title, author: { name: "Tracker" }, tags: [], externalThreadId: `bulk:${title}`, thread: { title } });
  }

  it("when a message is edited or retagged by any writer, the stream carries message-edit and tag-change events", async () => {
    await start();
    const stream = await listen("/flows?filter=acme/main", asBob());
    const stored = storePost("to edit");
    if (stored.kind !== "stored") throw new Error("not stored");
    const id = stored.message.id;
    fd.store.db.prepare("UPDATE messages SET body = 'edited body' WHERE id = ?").run(id);
    fd.store.db.prepare(`UPDATE messages SET tags = '["new"]' WHERE id = ?`).run(id);
    await stream.waitFor((t) => t.includes("tag-change"));
    const events = stream.jsonEvents();
    expect(events.find((e) => e.event === "message-edit")).toMatchObject({ content: { message: id, updated_content: "edited body" } });
    expect(events.find((e) => e.event === "tag-change")).toMatchObject({ content: { message: id, add: ["new"], remove: [] } });
  });

  it("when a writer's transaction rolls back, nothing is published, and the next committed change is", async () => {
    await start();
    const stream = await listen("/flows?filter=acme/main", asBob());
    expect(() => fd.store.db.transaction(() => {
      storePost("rolled back");
      throw new Error("the writer failed");
    })()).toThrow("the writer failed");
    storePost("committed");
    await stream.waitFor((t) => t.includes("committed"));
    expect(stream.text()).not.toContain("rolled back");
  });

  it("when more events happen than the log keeps, the oldest are pruned and a resume from a pruned id gets what is kept", async () => {
    await start({ eventRetention: 10 });
    for (let i = 0; i < 150; i++) storePost(`bulk ${i}`);
    fd.store.events.flush();
    const kept = (fd.store.db.prepare("SELECT COUNT(*) AS n FROM flow_events").get() as { n: number }).n;
    expect(kept).toBeLessThanOrEqual(10 + 100);
    expect(kept).toBeLessThan(150);
    const resumed = await listen("/flows?filter=acme/main", asBob({ accept: "text/event-stream", "last-event-id": "1" }));
    await resumed.waitFor((t) => t.includes("bulk 149"));
    const titles = resumed.sseEvents().map((e) => e.data.title).filter((t) => t !== undefined);
    expect(titles).not.toContain("bulk 0");
    expect(titles.at(-1)).toBe("bulk 149");
  });
});

describe("streams that end", () => {
  it("when the access token expires, the server ends the stream at the next keep-alive tick", async () => {
    await start({ streamKeepAliveMs: 30, tokenTtlSeconds: 60 });
    const stream = await listen("/flows?filter=acme/main", asBob());
    expect((await api(fd.url, "/_simulator/clock", { method: "POST", body: { advanceMs: 61_000 } })).status).toBe(200);
    await stream.ended;
    const again = await fetch(`${fd.url}/flows?filter=acme/main`, { headers: asBob() });
    expect(again.status).toBe(401);
  });

  it("when the server stops, open streams end and close does not wait for them", async () => {
    await start();
    const streams = await Promise.all([listen("/flows?filter=acme/main", asBob()), listen("/flows?filter=acme/main", asBob({ accept: "text/event-stream" }))]);
    const started = Date.now();
    await fd.close();
    await Promise.all(streams.map((s) => s.ended));
    expect(Date.now() - started).toBeLessThan(2000);
    fd = await startTestFlowdock();
  });
});

describe("Flowdock's own Node.js client", () => {
  beforeEach(() => start());

  interface FlowdockStream {
    on(event: "message", cb: (m: Record<string, unknown>) => void): void; on(event: "connected", cb: () => void): void; end(): void;
    request?: NodeJS.EventEmitter;
  }
  interface FlowdockSession { stream(flows: string[], params?: Record<string, string>): FlowdockStream }
  const { Session } = createRequire(import.meta.url)("flowdock") as { Session: new (email: string, password: string, url?: string) => FlowdockSession };

  /** Streams acme/main as bob with the unmodified client until an activity titled `title` arrives. */
  async function receiveWithClient(title: string, params?: Record<string, string>) {
    // The client reads its stream URL from FLOWDOCK_STREAM_URL when it connects.
    const previous = process.env.FLOWDOCK_STREAM_URL;
    process.env.FLOWDOCK_STREAM_URL = `${fd.url}/flows`;
    const stream = new Session("bob@example.com", "flowdock", fd.url).stream(["acme/main"], params);
    try {
      const received = new Promise<Record<string, unknown>>((resolve) => stream.on("message", (m) => { if (m.event === "activity") resolve(m); }));
      await new Promise<void>((resolve) => stream.on("connected", resolve));
      await postActivity(title);
      expect(await received).toMatchObject({ event: "activity", title });
    } finally {
      // Ending aborts the request, which then reports "aborted" after the client removed its listeners.
      const request = stream.request;
      stream.end();
      request?.on("error", () => {});
      if (previous === undefined) delete process.env.FLOWDOCK_STREAM_URL;
      else process.env.FLOWDOCK_STREAM_URL = previous;
    }
  }

  it("when bob streams acme/main with the flowdock package and his email and password, he receives a message alice's integration posted", async () => {
    await receiveWithClient("seen by the flowdock client");
  });
});
