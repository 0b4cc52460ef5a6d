// Messages as a person (messages.md, message-types.md, tags.md): posting chat
// messages, statuses, replies and comments; flow-token chat messages; editing and
// deleting; the message shape. Over real HTTP against a fresh local Flowdock.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { basic } from "../support/flowdock-user.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

interface Message {
  id: number; event: string; content: unknown; tags: string[]; user: string; app: string; flow: string; sent: number;
  created_at: string; edited: number | null; attachments: unknown[]; thread_id: string; uuid: string | null; external_user_name?: string;
}

let fd: LocalFlowdock;
let mainId: string;
let aliceId: number;
let bobId: number;
beforeEach(async () => {
  fd = await startTestFlowdock();
  mainId = fd.store.directory.flowByPath("acme", "main")!.id;
  aliceId = fd.store.directory.userByEmail("alice@example.com")!.id;
  bobId = fd.store.directory.userByEmail("bob@example.com")!.id;
});
afterEach(async () => { await fd.close(); });

const ALICE = basic("alice@example.com", "flowdock");
const BOB = basic("bob@example.com", "flowdock");
const WAIT = { "x-flowdock-wait-for-message": "true" };
const say = (body: Record<string, unknown>, headers = ALICE, path = "/flows/acme/main/messages") =>
  api(fd.url, path, { method: "POST", headers: { ...headers, ...WAIT }, body });
const list = async (query = "", headers = ALICE) => (await api(fd.url, `/flows/acme/main/messages${query}`, { headers })).body as Message[];

describe("posting a chat message", () => {
  it("when a person posts a message, it is stored with the documented shape and Flowdock-User", async () => {
    const res = await say({ event: "message", content: "Hello world", uuid: "u-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("flowdock-user")).toBe(String(aliceId));
    expect(res.headers.get("link")).toMatch(/\/flows\/acme\/main\/messages\/\d+\/comments>; rel="comments"/);
    const m = res.body as Message;
    expect(m).toEqual({
      id: expect.any(Number), event: "message", content: "Hello world", tags: [], uuid: "u-1", user: String(aliceId), app: "chat",
      flow: mainId, sent: expect.any(Number), created_at: new Date(m.sent).toISOString(), edited: null, attachments: [], thread_id: expect.any(String),
    });
    expect(await list()).toEqual([m]);
  });

  it("when the wait header is absent, the answer is 202 with an empty object and the message is stored", async () => {
    const res = await api(fd.url, "/flows/acme/main/messages", { method: "POST", headers: ALICE, body: { event: "message", content: "hi" } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({});
    expect((await list()).map((m) => m.content)).toEqual(["hi"]);
  });

  it("when posted to /messages with the flow's id in `flow`, it lands in that flow", async () => {
    const res = await say({ flow: mainId, event: "message", content: "by id" }, ALICE, "/messages");
    expect(res.status).toBe(200);
    expect((await list()).map((m) => m.content)).toEqual(["by id"]);
  });

  it("when /messages names no flow, or one the person can't see, the answers are 400 and 404", async () => {
    expect((await say({ event: "message", content: "x" }, ALICE, "/messages")).body).toMatchObject({ errors: { flow: [expect.any(String)] } });
    const support = fd.store.directory.flowByPath("acme", "support")!.id;
    expect((await say({ flow: support, event: "message", content: "x" }, BOB, "/messages")).status).toBe(404);
    expect((await say({ event: "message", content: "x" }, BOB, "/flows/acme/support/messages")).status).toBe(404);
  });

  it("when content is missing, blank or over 8096 characters, or the event is unknown, the answer is 400 naming the field", async () => {
    for (const [body, field] of [
      [{ event: "message" }, "content"], [{ event: "message", content: "  " }, "content"],
      [{ event: "message", content: "x".repeat(8097) }, "content"], [{ event: "shout", content: "x" }, "event"],
      [{ event: "activity", content: "x" }, "event"],
    ] as const) {
      const res = await say(body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body).toMatchObject({ message: "Validation error", errors: { [field]: [expect.any(String)] } });
    }
    expect(await list()).toEqual([]);
  });

  it("when nobody is authenticated, or the token lacks the flow scope, nothing is posted (401, 403)", async () => {
    expect((await api(fd.url, "/flows/acme/main/messages", { method: "POST", body: { event: "message", content: "x" } })).status).toBe(401);
    const profileOnly = await passwordToken(fd.url, "alice@example.com", "profile");
    expect((await api(fd.url, "/flows/acme/main/messages", { method: "POST", token: profileOnly, body: { event: "message", content: "x" } })).status).toBe(403);
    expect(await list()).toEqual([]);
  });

  it("when the same uuid is posted twice, the second answer is the first message and nothing new is stored", async () => {
    const first = await say({ event: "message", content: "once", uuid: "same" });
    const second = await say({ event: "message", content: "again", uuid: "same" });
    expect(second.body).toEqual(first.body);
    expect((await list()).length).toBe(1);
  });

  it("when posts pass the rate limit, the answer is 429 with Retry-After", async () => {
    await api(fd.url, "/_simulator/rate-limit", { method: "PUT", body: { max: 1, windowMs: 60_000 } });
    expect((await say({ event: "message", content: "1" })).status).toBe(200);
    const limited = await say({ event: "message", content: "2" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("tags", () => {
  it("when tags come as an array or a string, they are normalised as the docs' example: hashtags bare and lower-case, user tags as ids", async () => {
    const res = await say({ event: "message", content: "Howdy-Doo @Bob #awesome http://example.com", tags: ["todo", "#Feedback", "@all"] });
    const tags = (res.body as Message).tags;
    expect(tags).toEqual(expect.arrayContaining(["todo", "feedback", ":user:everyone", "awesome", `:user:${bobId}`, `:unread:${bobId}`, ":url"]));
    expect(tags).not.toContain(`:unread:${aliceId}`);
    const again = await say({ event: "message", content: "plain", tags: "#awesome,cool,@bob" });
    expect((again.body as Message).tags).toEqual(["awesome", "cool", `:user:${bobId}`, `:unread:${bobId}`]);
  });

  it("when a message mentions a nick without @, it is highlighted for that person", async () => {
    const res = await say({ event: "message", content: "ask bob about it" });
    expect((res.body as Message).tags).toEqual([`:highlight:${bobId}`]);
  });
});

describe("threads, replies and comments", () => {
  it("when a reply names the thread of an earlier message, both are in that thread and the thread counts them", async () => {
    const first = (await say({ event: "message", content: "start" })).body as Message;
    const reply = (await say({ event: "message", content: "reply", thread_id: first.thread_id }, BOB)).body as Message;
    expect(reply.thread_id).toBe(first.thread_id);
    const viaPath = await say({ event: "message", content: "by path" }, ALICE, `/flows/acme/main/threads/${first.thread_id}/messages`);
    expect((viaPath.body as Message).thread_id).toBe(first.thread_id);
    const thread = (await api(fd.url, `/flows/acme/main/threads/${first.thread_id}`, { headers: ALICE })).body;
    expect(thread).toMatchObject({ id: first.thread_id, internal_comments: 3, activities: 0, external_comments: 0 });
    const inThread = (await api(fd.url, `/flows/acme/main/threads/${first.thread_id}/messages`, { headers: ALICE })).body as Message[];
    expect(inThread.map((m) => m.content)).toEqual(["start", "reply", "by path"]);
  });

  it("when a reply names an unknown thread, the answer is 400 (body) or 404 (path) and nothing is stored", async () => {
    expect((await say({ event: "message", content: "x", thread_id: "nope" })).body).toMatchObject({ errors: { thread_id: [expect.any(String)] } });
    expect((await say({ event: "message", content: "x" }, ALICE, "/flows/acme/main/threads/nope/messages")).status).toBe(404);
    expect(await list()).toEqual([]);
  });

  it("when a comment names its parent, it joins the parent's thread with an influx tag and shows {title, text}", async () => {
    const parent = (await say({ event: "message", content: "the parent" })).body as Message;
    const res = await say({ event: "comment", content: "a comment", message: parent.id });
    expect(res.status).toBe(200);
    const comment = res.body as Message;
    expect(comment).toMatchObject({ event: "comment", thread_id: parent.thread_id, content: { title: "the parent", text: "a comment" } });
    expect(comment.tags).toContain(`influx:${parent.id}`);
    const viaPath = await say({ content: "by path" }, ALICE, `/flows/acme/main/messages/${parent.id}/comments`);
    expect(viaPath.body).toMatchObject({ event: "comment", content: { text: "by path" } });
    const viaComments = await say({ flow: mainId, event: "comment", content: "old style", message: parent.id }, ALICE, "/comments");
    expect(viaComments.body).toMatchObject({ event: "comment", thread_id: parent.thread_id });
  });

  it("when a comment has no parent, an unknown one, or a comment as parent, the answer is 400", async () => {
    expect((await say({ event: "comment", content: "x" })).body).toMatchObject({ errors: { message: [expect.any(String)] } });
    expect((await say({ event: "comment", content: "x", message: 999 })).body).toMatchObject({ errors: { message: [expect.any(String)] } });
    const parent = (await say({ event: "message", content: "p" })).body as Message;
    const comment = (await say({ event: "comment", content: "c", message: parent.id })).body as Message;
    const res = await say({ event: "comment", content: "x", message: comment.id });
    expect(res.status).toBe(400);
    expect((await list()).length).toBe(2);
  });

  it("when a person sets a status, it is a status message with its content", async () => {
    const res = await say({ event: "status", content: "Out for lunch" });
    expect(res.body).toMatchObject({ event: "status", content: "Out for lunch", app: "chat", user: String(aliceId) });
  });
});

describe("chat messages with a flow token", () => {
  it("when a flow token posts event message with external_user_name, it is an anonymous chat message under that name", async () => {
    const { source } = await createSource(fd.url);
    const res = await api(fd.url, "/messages", { method: "POST", headers: WAIT, body: { flow_token: source.flow_token, event: "message", content: "Deploy done #ops", external_user_name: "Deploybot" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event: "message", content: "Deploy done #ops", external_user_name: "Deploybot", user: "0", app: "chat", tags: ["ops"] });
  });

  it("when external_user_name is missing, the answer is 400; a deleted source's token answers 410", async () => {
    const { source, userToken } = await createSource(fd.url);
    const missing = await api(fd.url, "/messages", { method: "POST", body: { flow_token: source.flow_token, event: "message", content: "x" } });
    expect(missing.body).toMatchObject({ errors: { external_user_name: [expect.any(String)] } });
    await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: userToken });
    const gone = await api(fd.url, "/messages", { method: "POST", body: { flow_token: source.flow_token, event: "message", content: "x", external_user_name: "Bot" } });
    expect(gone.status).toBe(410);
  });
});

describe("showing, editing and deleting a message", () => {
  it("when shown by id, the message comes back; an unknown id is 404", async () => {
    const m = (await say({ event: "message", content: "show me" })).body as Message;
    expect((await api(fd.url, `/flows/acme/main/messages/${m.id}`, { headers: BOB })).body).toEqual(m);
    expect((await api(fd.url, "/flows/acme/main/messages/99999", { headers: BOB })).status).toBe(404);
  });

  it("when the author edits content and anyone edits tags, both change and edited is set", async () => {
    const m = (await say({ event: "message", content: "typo" })).body as Message;
    const edit = await api(fd.url, `/flows/acme/main/messages/${m.id}`, { method: "PUT", headers: ALICE, body: { content: "fixed" } });
    expect(edit.status).toBe(200);
    expect(edit.body).toEqual({});
    expect((await api(fd.url, `/flows/acme/main/messages/${m.id}`, { method: "PUT", headers: BOB, body: { tags: ["#Later"] } })).status).toBe(200);
    const after = (await list())[0]!;
    expect(after).toMatchObject({ content: "fixed", tags: ["later"], edited: expect.any(Number) });
  });

  it("when someone else edits the content, the answer is 403 and the content stays", async () => {
    const m = (await say({ event: "message", content: "mine" })).body as Message;
    expect((await api(fd.url, `/flows/acme/main/messages/${m.id}`, { method: "PUT", headers: BOB, body: { content: "theirs" } })).status).toBe(403);
    expect((await api(fd.url, `/flows/acme/main/messages/${m.id}`, { method: "PUT", headers: ALICE, body: {} })).status).toBe(400);
    expect((await list())[0]!.content).toBe("mine");
  });

  it("when the author deletes a chat message it is truncated (200); another person gets 403; a team-inbox post is removed (204)", async () => {
    const m = (await say({ event: "message", content: "oops" })).body as Message;
    expect((await api(fd.url, `/flows/acme/main/messages/${m.id}`, { method: "DELETE", headers: BOB })).status).toBe(403);
    expect((await api(fd.url, `/flows/acme/main/messages/${m.id}`, { method: "DELETE", headers: ALICE })).status).toBe(200);
    expect((await list())[0]!.content).toBe("");
    const { source } = await createSource(fd.url);
    const post = await api(fd.url, "/messages", { method: "POST", headers: WAIT, body: { flow_token: source.flow_token, event: "activity", title: "t", author: { name: "A" }, external_thread_id: "x", thread: { title: "T" } } });
    const id = (post.body as Message).id;
    expect((await api(fd.url, `/flows/acme/main/messages/${id}`, { method: "DELETE", headers: BOB })).status).toBe(204);
    expect((await list()).map((x) => x.id)).toEqual([m.id]);
  });
});
