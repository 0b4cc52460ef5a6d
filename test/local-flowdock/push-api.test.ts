// The deprecated Push API (docs/push.md, team-inbox.md) and the older guide's
// POST /activities, over real HTTP: the flow API token shown in the flow's
// settings posts to its team inbox with JSON or form bodies; every refusal is
// a JSON 4xx that stores nothing; a push reaches the flow's stream.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import { csrfFrom } from "../support/browser.ts";
import { openStream } from "../support/streams.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

interface Message {
  id: number; event: string; title?: string | null; body?: string | null; content: unknown; author?: Record<string, unknown>;
  tags: string[]; thread_id: string; external_thread_id?: string;
}

let fd: LocalFlowdock;
let alice: string;
beforeEach(async () => {
  fd = await startTestFlowdock();
  alice = await passwordToken(fd.url, "alice@example.com", "flow profile integration");
});
afterEach(async () => { await fd.close(); });

/** The API token as a flow member reads it on the flow's Inbox Settings page. */
async function apiTokenFromSettings(email = "alice@example.com", flow = "acme/main"): Promise<string> {
  const agent = request.agent(fd.url);
  const page = await agent.get("/login");
  await agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email, password: "flowdock", return_to: "/app" }).expect(302);
  const settings = await agent.get(`/app/${flow}/settings`).expect(200);
  const match = /id="flow-api-token"[^>]*value="([0-9a-f]+)"/.exec(settings.text);
  expect(match, "the settings page shows the flow's API token").not.toBeNull();
  return match![1]!;
}

const inbox = async () => (await api(fd.url, "/flows/acme/main/messages", { token: alice })).body as Message[];
const mail = { source: "News digest service", from_address: "news@example.com", subject: "Daily digest", content: "<p>Interesting news of today</p>", tags: ["news", "#Digest", "@all"] };

describe("Push API: team inbox", () => {
  it("when an old tool posts JSON with the flow's API token, the answer is 200 {} and the item is in the team inbox", async () => {
    const token = await apiTokenFromSettings();
    const res = await api(fd.url, `/v1/messages/team_inbox/${token}`, { method: "POST", body: { ...mail, from_name: "News", project: "Daily", link: "http://news.test/today" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(res.headers.get("deprecation")).toBe("true");
    const [message] = await inbox();
    expect(message).toMatchObject({ event: "mail", title: "Daily digest", body: "<p>Interesting news of today</p>", author: { name: "News", email: "news@example.com" } });
    // Tags as tags.md stores them: "#" dropped, any capitals, "@all" for everyone.
    expect(message!.tags).toEqual(expect.arrayContaining(["news", "digest", ":user:everyone"]));
    const thread = (await api(fd.url, `/flows/acme/main/threads/${message!.thread_id}`, { token: alice })).body as Record<string, unknown>;
    expect(thread).toMatchObject({ title: "Daily digest", external_url: "http://news.test/today", fields: [{ label: "Source", value: "News digest service" }, { label: "Project", value: "Daily" }] });
  });

  it("when the same post comes as form fields with comma-separated tags, it is stored the same way", async () => {
    const token = await apiTokenFromSettings();
    const res = await request(fd.url).post(`/v1/messages/team_inbox/${token}`).type("form")
      .send({ source: "News digest service", from_address: "news@example.com", subject: "Form digest", content: "from a form", tags: "#awesome,cool,@Mike" });
    expect(res.status).toBe(200);
    expect((await inbox())[0]).toMatchObject({ event: "mail", title: "Form digest", author: { name: "news@example.com" }, tags: ["awesome", "cool", "@mike"] });
  });

  it("when two flows are pushed to, each flow's token reaches only its own flow", async () => {
    const support = await apiTokenFromSettings("alice@example.com", "acme/support");
    expect(support).not.toBe(await apiTokenFromSettings());
    expect((await api(fd.url, `/v1/messages/team_inbox/${support}`, { method: "POST", body: mail })).status).toBe(200);
    expect(await inbox()).toEqual([]);
  });

  const refusals: [string, () => Promise<{ status: number; body: unknown }>, number][] = [
    ["an unknown API token", () => api(fd.url, "/v1/messages/team_inbox/0123456789abcdef0123456789abcdef", { method: "POST", body: mail }), 404],
    ["no subject", async () => api(fd.url, `/v1/messages/team_inbox/${await apiTokenFromSettings()}`, { method: "POST", body: { ...mail, subject: undefined } }), 400],
    ["a from_address that is not an email", async () => api(fd.url, `/v1/messages/team_inbox/${await apiTokenFromSettings()}`, { method: "POST", body: { ...mail, from_address: "nope" } }), 400],
    ["a source with punctuation", async () => api(fd.url, `/v1/messages/team_inbox/${await apiTokenFromSettings()}`, { method: "POST", body: { ...mail, source: "News!" } }), 400],
    ["a format other than html", async () => api(fd.url, `/v1/messages/team_inbox/${await apiTokenFromSettings()}`, { method: "POST", body: { ...mail, format: "markdown" } }), 400],
    ["no Content-Type", async () => {
      const res = await fetch(`${fd.url}/v1/messages/team_inbox/${await apiTokenFromSettings()}`, { method: "POST", body: JSON.stringify(mail), headers: { "content-type": "" } });
      return { status: res.status, body: await res.json() };
    }, 415],
    ["a body that is not JSON", async () => {
      const res = await fetch(`${fd.url}/v1/messages/team_inbox/${await apiTokenFromSettings()}`, { method: "POST", body: "{nope", headers: { "content-type": "application/json" } });
      return { status: res.status, body: await res.json() };
    }, 400],
  ];
  for (const [what, send, status] of refusals) {
    it(`when the post has ${what}, the answer is ${status} JSON and nothing is stored`, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body).toHaveProperty("message");
      expect(await inbox()).toEqual([]);
    });
  }

  it("when a push arrives, a stream of the flow receives it", async () => {
    const token = await apiTokenFromSettings();
    const stream = await openStream(`${fd.url}/flows?filter=acme/main`, { authorization: `Bearer ${alice}` });
    try {
      await api(fd.url, `/v1/messages/team_inbox/${token}`, { method: "POST", body: mail });
      await stream.waitFor((t) => t.includes("Daily digest"));
      expect(stream.jsonEvents().find((e) => e.event === "mail")).toMatchObject({ title: "Daily digest" });
    } finally {
      stream.close();
    }
  });
});

describe("Push API: secrets", () => {
  it("when a push is logged, the flow's API token in its path is not", async () => {
    await fd.close();
    let logText = "";
    fd = await startTestFlowdock({ logger: createLogger({ level: "debug", name: "test-flowdock" }, { write: (line: string) => { logText += line; } }) });
    const token = await apiTokenFromSettings();
    expect((await api(fd.url, `/v1/messages/team_inbox/${token}`, { method: "POST", body: mail })).status).toBe(200);
    expect((await api(fd.url, `/v1/messages/chat/${token}?x=1`, { method: "POST", body: { content: "hi", external_user_name: "S" } })).status).toBe(200);
    expect(logText).toContain("/v1/messages/team_inbox/[Redacted]");
    expect(logText).toContain("/v1/messages/chat/[Redacted]?x=1");
    expect(logText).not.toContain(token);
  });
});

describe("Push API: chat", () => {
  const chat = async (body: Record<string, unknown>) => api(fd.url, `/v1/messages/chat/${await apiTokenFromSettings()}`, { method: "POST", body });

  it("when an external user posts to chat, the message is stored with their name and the tags of its content", async () => {
    const res = await chat({ content: "Howdy-Doo @Jackie #awesome", external_user_name: "Stevie", tags: ["todo", "#feedback"] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const [message] = await inbox();
    expect(message).toMatchObject({ event: "message", app: "chat", content: "Howdy-Doo @Jackie #awesome", external_user_name: "Stevie", user: "0" });
    expect(message!.tags).toEqual(expect.arrayContaining(["todo", "feedback", "@jackie", "awesome"]));
  });

  it("when the post names a message_id, it is a comment in that message's thread; a comment can't be commented", async () => {
    await chat({ content: "the parent", external_user_name: "Stevie" });
    const [parent] = await inbox();
    expect((await chat({ content: "a comment", external_user_name: "Jackie", message_id: parent!.id })).status).toBe(200);
    const comment = (await inbox()).find((m) => m.event === "comment")!;
    expect(comment).toMatchObject({ content: { title: "the parent", text: "a comment" }, external_user_name: "Jackie", thread_id: parent!.thread_id });
    expect(comment.tags).toContain(`influx:${parent!.id}`);
    const again = await chat({ content: "nested", external_user_name: "Jackie", message_id: comment.id });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ errors: { message_id: [expect.any(String)] } });
  });

  it("when a form post has no content, or a name with spaces, or comments on an unknown message, the answer is 400 and nothing is stored", async () => {
    const token = await apiTokenFromSettings();
    for (const body of [{ external_user_name: "Stevie" }, { content: "hi", external_user_name: "Stevie Wonder" }, { content: "hi", external_user_name: "Stevie", message_id: "999" }]) {
      const res = await request(fd.url).post(`/v1/messages/chat/${token}`).type("form").send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(await inbox()).toEqual([]);
  });
});

describe("POST /activities (the older integration guide)", () => {
  it("when an integration posts an activity whose thread_id is its item's id, later posts with that id land in the same thread", async () => {
    const { source } = await createSource(fd.url);
    const first = await api(fd.url, "/activities", { method: "POST", body: { flow_token: source.flow_token, title: "opened", author: { name: "Tracker" }, thread_id: "ticket-7", thread: { title: "Ticket 7" } } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ event: "activity", title: "opened", external_thread_id: "ticket-7" });
    const second = await api(fd.url, "/activities", { method: "POST", body: { flow_token: source.flow_token, title: "closed", author: { name: "Tracker" }, thread_id: "ticket-7" } });
    expect(second.status).toBe(200);
    expect((second.body as Message).thread_id).toBe((first.body as Message).thread_id);
  });

  it("when the item is new and no thread state is given, the answer is 400 naming thread", async () => {
    const { source } = await createSource(fd.url);
    const res = await api(fd.url, "/activities", { method: "POST", body: { flow_token: source.flow_token, title: "opened", author: { name: "Tracker" }, thread_id: "ticket-8" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errors: { thread: [expect.any(String)] } });
  });

  it("when the flow_token is unknown the answer is 401, and when its source was removed 410", async () => {
    expect((await api(fd.url, "/activities", { method: "POST", body: { flow_token: "nope", title: "x", author: { name: "T" }, thread_id: "a" } })).status).toBe(401);
    const { source, userToken } = await createSource(fd.url);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: userToken })).status).toBe(204);
    expect((await api(fd.url, "/activities", { method: "POST", body: { flow_token: source.flow_token, title: "x", author: { name: "T" }, thread_id: "a", thread: { title: "A" } } })).status).toBe(410);
  });
});
