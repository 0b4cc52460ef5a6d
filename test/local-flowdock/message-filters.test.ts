// Listing a flow's messages and threads with the documented filters and paging
// (messages.md "List Messages", threads.md "List Flow Threads").
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, startTestFlowdock } from "../support/local-flowdock.ts";
import { basic } from "../support/flowdock-user.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

interface Message { id: number; event: string; content: string | null; title: string | null; tags: string[]; thread_id: string }
interface Thread { id: string; title: string; activities: number; internal_comments: number; external_comments: number; updated_at: string }

let fd: LocalFlowdock;
beforeEach(async () => { fd = await startTestFlowdock(); });
afterEach(async () => { await fd.close(); });

const ALICE = basic("alice@example.com", "flowdock");
const say = async (content: string, extra: Record<string, unknown> = {}) =>
  (await api(fd.url, "/flows/acme/main/messages", { method: "POST", headers: { ...ALICE, "x-flowdock-wait-for-message": "true" }, body: { event: "message", content, ...extra } })).body as Message;
const list = async (query: string) => {
  const res = await api(fd.url, `/flows/acme/main/messages${query}`, { headers: ALICE });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as Message[]).map((m) => m.content ?? m.title);
};

describe("message list filters", () => {
  beforeEach(async () => {
    for (const c of ["one", "two #bug", "three @Bob", "four #bug #ui", "five"]) await say(c);
    await say("status text", { event: "status" });
  });

  it("when nothing is asked, the latest 30 come oldest first; sort=asc gives the oldest ones", async () => {
    expect(await list("")).toEqual(["one", "two #bug", "three @Bob", "four #bug #ui", "five", "status text"]);
    expect(await list("?limit=2")).toEqual(["five", "status text"]);
    expect(await list("?limit=2&sort=asc")).toEqual(["one", "two #bug"]);
  });

  it("when event names kinds, only those come back", async () => {
    expect(await list("?event=status")).toEqual(["status text"]);
    expect((await list("?event=message,status")).length).toBe(6);
    expect(await list("?event=activity")).toEqual([]);
  });

  it("when since_id and until_id are given, only messages between them come back, neither included", async () => {
    const ids = (await api(fd.url, "/flows/acme/main/messages", { headers: ALICE })).body as Message[];
    expect(await list(`?since_id=${ids[0]!.id}&until_id=${ids[3]!.id}`)).toEqual(["two #bug", "three @Bob"]);
    expect(await list(`?until_id=${ids[2]!.id}`)).toEqual(["one", "two #bug"]);
  });

  it("when skip is given, that many of the latest are passed over", async () => {
    expect(await list("?limit=2&skip=1")).toEqual(["four #bug #ui", "five"]);
    expect(await list("?limit=2&skip=1&sort=asc")).toEqual(["two #bug", "three @Bob"]);
  });

  it("when tags are given, messages with all of them come back, or any with tag_mode=or; @nick and #tag are accepted", async () => {
    expect(await list("?tags=bug")).toEqual(["two #bug", "four #bug #ui"]);
    expect(await list("?tags=%23bug,ui")).toEqual(["four #bug #ui"]);
    expect(await list("?tags=ui,@bob&tag_mode=or")).toEqual(["three @Bob", "four #bug #ui"]);
    expect(await list("?tags=@Bob")).toEqual(["three @Bob"]);
  });

  it("when search has keywords, messages containing every keyword come back", async () => {
    expect(await list("?search=bug")).toEqual(["two #bug", "four #bug #ui"]);
    expect(await list("?search=FOUR%20ui")).toEqual(["four #bug #ui"]);
    expect(await list("?search=100%25")).toEqual([]);
  });

  it("when a filter's value is not valid, the answer is 400 naming it", async () => {
    for (const [query, field] of [["?sort=up", "sort"], ["?until_id=x", "until_id"], ["?skip=-1", "skip"], ["?tag_mode=xor", "tag_mode"], ["?limit=101", "limit"]]) {
      const res = await api(fd.url, `/flows/acme/main/messages${query}`, { headers: ALICE });
      expect(res.status, query).toBe(400);
      expect(res.body).toMatchObject({ errors: { [field!]: [expect.any(String)] } });
    }
  });
});

describe("thread list filters and fields", () => {
  it("when a flow has team-inbox and chat threads, each carries its counts and application=chat|inbox|<id> picks them", async () => {
    const { source } = await createSource(fd.url);
    const post = (body: Record<string, unknown>) => api(fd.url, "/messages", { method: "POST", body: { flow_token: source.flow_token, author: { name: "Bot" }, external_thread_id: "i1", thread: { title: "Inbox item" }, ...body } });
    await post({ event: "activity", title: "opened" });
    await post({ event: "discussion", body: "said something" });
    const chat = await say("chat thread");
    const threads = (await api(fd.url, "/flows/acme/main/threads", { headers: ALICE })).body as Thread[];
    expect(threads.map((t) => [t.title, t.activities, t.internal_comments, t.external_comments])).toEqual([["chat thread", 0, 1, 0], ["Inbox item", 1, 0, 1]]);
    const titles = async (q: string) => ((await api(fd.url, `/flows/acme/main/threads${q}`, { headers: ALICE })).body as Thread[]).map((t) => t.title);
    expect(await titles("?application=chat")).toEqual(["chat thread"]);
    expect(await titles("?application=inbox")).toEqual(["Inbox item"]);
    const appId = fd.store.sources.byIdEvenDeleted(source.id)!.application_id;
    expect(await titles(`?application=${appId}`)).toEqual(["Inbox item"]);
    expect(chat.thread_id).toBe(threads[0]!.id);
  });

  it("when since and until are given, only threads updated in between come back, and a full page links to the next by until", async () => {
    for (const c of ["a", "b", "c"]) await say(c);
    const all = (await api(fd.url, "/flows/acme/main/threads", { headers: ALICE })).body as Thread[];
    const page = await api(fd.url, "/flows/acme/main/threads?limit=2", { headers: ALICE });
    expect((page.body as Thread[]).map((t) => t.title)).toEqual(["c", "b"]);
    const next = page.headers.get("link")!.match(/<([^>]+)>; rel="next"/)![1]!;
    expect(new URL(next).searchParams.get("until")).toBe(all[1]!.updated_at);
    const rest = await api(fd.url, new URL(next).pathname + new URL(next).search, { headers: ALICE });
    // Threads updated in the same millisecond share an `until`; the docs page by time, so those are left out.
    expect((rest.body as Thread[]).every((t) => t.updated_at < all[1]!.updated_at)).toBe(true);
    const since = await api(fd.url, `/flows/acme/main/threads?since=${encodeURIComponent(all[2]!.updated_at)}`, { headers: ALICE });
    expect((since.body as Thread[]).every((t) => t.updated_at > all[2]!.updated_at)).toBe(true);
  });

  it("when since, until or application is not valid, the answer is 400", async () => {
    for (const q of ["?since=yesterday", "?until=x", "?application=everything"]) {
      expect((await api(fd.url, `/flows/acme/main/threads${q}`, { headers: ALICE })).status, q).toBe(400);
    }
  });
});
