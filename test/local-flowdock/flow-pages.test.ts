// The flow page and a thread's page over real HTTP: paging through a big team
// inbox, a busy thread shown by its latest messages, the chat beside the inbox
// (messages, replies, comments) and what the pages refuse.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, startTestFlowdock } from "../support/local-flowdock.ts";
import { csrfFrom } from "../support/browser.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
beforeEach(async () => { fd = await startTestFlowdock(); });
afterEach(async () => { await fd.close(); });

async function signedIn(email = "alice@example.com") {
  const agent = request.agent(fd.url);
  const page = await agent.get("/login");
  await agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email, password: "flowdock", return_to: "/app" }).expect(302);
  return agent;
}

/** The session cookie an agent holds, for requests made with fetch (which can stop reading a stream). */
function cookieOf(agent: Awaited<ReturnType<typeof signedIn>>): string {
  const { jar } = agent as unknown as { jar: { getCookies: (o: object) => { toValueString: () => string }[] } };
  return jar.getCookies({ domain: new URL(fd.url).hostname, path: "/", secure: false, script: false }).map((c) => c.toValueString()).join("; ");
}

/** Seeds through the store (one transaction), as thousands of HTTP posts would take minutes. */
function seedThreads(sourceId: number, count: number, messagesEach = 1) {
  const flowId = fd.store.directory.flowByPath("acme", "main")!.id;
  fd.store.db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      for (let m = 1; m <= messagesEach; m++) {
        fd.store.inbox.post({
          flowId, sourceId, event: "activity", title: `update ${m} of issue ${i}`, author: { name: "Dana" }, tags: [],
          externalThreadId: `issue-${i}`, thread: { title: `Issue number ${i}` },
        });
      }
    }
  })();
}

/** The team inbox's threads, top to bottom (the chat beside it is left out). */
const threadTitles = (html: string) => [...inboxOf(html).matchAll(/Issue number (\d+)/g)].map((m) => Number(m[1]));
const inboxOf = (html: string) => html.slice(html.indexOf('id="inbox-threads"'));
const linkTo = (html: string, text: string) => {
  const match = new RegExp(`<a href="([^"]+)"[^>]*>${text}</a>`).exec(html);
  return match?.[1]?.replace(/&amp;/g, "&");
};

describe("a big team inbox", () => {
  it("when a flow has 5,000 threads, Older threads pages through every one of them once, newest activity first, 50 a page", async () => {
    const { source } = await createSource(fd.url);
    seedThreads(source.id, 5000);
    const alice = await signedIn();
    const seen: number[] = [];
    let path: string | undefined = "/app/acme/main";
    let pages = 0;
    while (path) {
      const page = await alice.get(path).expect(200);
      const titles = threadTitles(page.text);
      expect(titles.length).toBeLessThanOrEqual(50);
      seen.push(...titles);
      path = linkTo(page.text, "Older threads");
      pages++;
    }
    expect(pages).toBe(100);
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => 5000 - i));
  }, 120_000);

  it("when on an older page, Newer threads goes back to the page before it", async () => {
    const { source } = await createSource(fd.url);
    seedThreads(source.id, 120);
    const alice = await signedIn();
    const first = await alice.get("/app/acme/main").expect(200);
    expect(linkTo(first.text, "Newer threads")).toBeUndefined();
    const second = await alice.get(linkTo(first.text, "Older threads")!).expect(200);
    expect(threadTitles(second.text)).toEqual(Array.from({ length: 50 }, (_, i) => 70 - i));
    const back = await alice.get(linkTo(second.text, "Newer threads")!).expect(200);
    expect(threadTitles(back.text)).toEqual(threadTitles(first.text));
  });

  it("when a thread has 2,049 messages, the inbox shows its latest 10 with a link to earlier ones, and its page shows 50 at a time back to the first", async () => {
    const { source } = await createSource(fd.url);
    seedThreads(source.id, 1, 2049);
    const alice = await signedIn();
    const inbox = await alice.get("/app/acme/main").expect(200);
    expect([...inbox.text.matchAll(/update (\d+) of issue 1\b/g)].map((m) => Number(m[1]))).toEqual(Array.from({ length: 10 }, (_, i) => 2040 + i));
    expect(inbox.text.length).toBeLessThan(40_000);
    let path = linkTo(inbox.text, "Earlier messages");
    expect(path).toMatch(/^\/app\/acme\/main\/threads\//);
    const seen: number[] = [];
    while (path) {
      const page = await alice.get(path).expect(200);
      expect(page.text.length).toBeLessThan(60_000);
      const updates = [...page.text.matchAll(/update (\d+) of issue 1\b/g)].map((m) => Number(m[1]));
      expect(updates.length).toBeLessThanOrEqual(50);
      seen.unshift(...updates);
      path = linkTo(page.text, "Earlier messages");
    }
    expect(seen).toEqual(Array.from({ length: 2049 }, (_, i) => i + 1));
  }, 60_000);

  it("when the cursor in the address is not a number, the newest page is shown", async () => {
    const { source } = await createSource(fd.url);
    seedThreads(source.id, 3);
    const page = await (await signedIn()).get("/app/acme/main?before=abc&after=-1&chat_before=x").expect(200);
    expect(threadTitles(page.text)).toEqual([3, 2, 1]);
  });
});

describe("the chat beside the team inbox", () => {
  it("when Alice sends a chat message, it shows in the chat for Bob too, with her name, as plain text", async () => {
    const alice = await signedIn();
    const page = await alice.get("/app/acme/main").expect(200);
    expect(page.text).toMatch(/<label for="chat-content">Message to Main<\/label>/);
    const res = await alice.post("/app/acme/main/messages").type("form").send({ _csrf: csrfFrom(page.text), content: "Deploying <b>now</b>" }).expect(303);
    expect(res.headers.location).toBe("/app/acme/main#chat");
    const bobsPage = (await (await signedIn("bob@example.com")).get("/app/acme/main").expect(200)).text;
    const chat = bobsPage.slice(bobsPage.indexOf('id="chat-log"'), bobsPage.indexOf("</ol>", bobsPage.indexOf('id="chat-log"')));
    expect(chat).toContain("Alice Anders");
    expect(chat).toContain("Deploying &lt;b&gt;now&lt;/b&gt;");
  });

  it("when Bob replies to Alice's message in its thread, the reply is in the thread and in the chat, and the API lists both as messages of one thread", async () => {
    const alice = await signedIn();
    const page = await alice.get("/app/acme/main");
    await alice.post("/app/acme/main/messages").type("form").send({ _csrf: csrfFrom(page.text), content: "Who has the release notes?" }).expect(303);
    const chatPage = (await alice.get("/app/acme/main")).text;
    const threadPath = /href="(\/app\/acme\/main\/threads\/[^"#]+)#reply">Reply</.exec(chatPage)![1]!;
    const bob = await signedIn("bob@example.com");
    const threadPage = await bob.get(threadPath).expect(200);
    expect(threadPage.text).toMatch(/<label for="reply-content">Reply<\/label>/);
    const res = await bob.post(`${threadPath}/messages`).type("form").send({ _csrf: csrfFrom(threadPage.text), content: "I do" }).expect(303);
    expect(res.headers.location).toBe(`${threadPath}#reply`);
    const after = (await bob.get(threadPath)).text;
    expect(after.indexOf("Who has the release notes?")).toBeLessThan(after.indexOf("I do"));
    expect(after).toContain("Bob Berg");
    expect((await alice.get("/app/acme/main")).text).toContain("Reply to: Who has the release notes?");
    const token = await (await import("../support/local-flowdock.ts")).passwordToken(fd.url, "alice@example.com");
    const threadId = threadPath.split("/").pop()!;
    const listed = (await api(fd.url, `/flows/acme/main/threads/${threadId}/messages`, { token })).body as { event: string; content: string }[];
    expect(listed.map((m) => [m.event, m.content])).toEqual([["message", "Who has the release notes?"], ["message", "I do"]]);
  });

  it("when Alice comments on an integration's thread, the comment shows under the thread in the team inbox and the thread moves to the top", async () => {
    const { source } = await createSource(fd.url);
    seedThreads(source.id, 2);
    const alice = await signedIn();
    const inbox = (await alice.get("/app/acme/main")).text;
    expect(threadTitles(inbox)).toEqual([2, 1]);
    const thread = fd.store.inbox.threads(fd.store.directory.flowByPath("acme", "main")!.id).find((t) => t.title === "Issue number 1")!;
    const threadPage = await alice.get(`/app/acme/main/threads/${thread.id}`).expect(200);
    expect(threadPage.text).toMatch(/<label for="reply-content">Comment<\/label>/);
    await alice.post(`/app/acme/main/threads/${thread.id}/messages`).type("form").send({ _csrf: csrfFrom(threadPage.text), content: "Fixed in staging" }).expect(303);
    const after = (await alice.get("/app/acme/main")).text;
    expect(threadTitles(after)).toEqual([1, 2]);
    expect(after).toContain("Fixed in staging");
    expect(after).toContain("Comment on: Issue number 1");
    const comment = fd.store.flowPages.threadMessages(thread.id, { limit: 1 }).items[0]!;
    const first = fd.store.flowPages.threadMessages(thread.id, { after: 0, limit: 1 }).items[0]!;
    expect([comment.event, comment.user_id, JSON.parse(comment.tags)]).toEqual(["comment", fd.store.directory.userByEmail("alice@example.com")!.id, [`influx:${first.id}`]]);
  });

  it("when the chat has 60 messages, the page shows the latest 50 oldest first, and Earlier messages shows the 10 before them", async () => {
    const flowId = fd.store.directory.flowByPath("acme", "main")!.id;
    const alice = fd.store.directory.userByEmail("alice@example.com")!;
    for (let i = 1; i <= 60; i++) fd.store.chat.post({ flowId, userId: alice.id, event: "message", content: `note ${i}.`, tags: [] });
    const agent = await signedIn();
    const said = (html: string) => [...html.matchAll(/note (\d+)\./g)].map((m) => Number(m[1]));
    const page = await agent.get("/app/acme/main").expect(200);
    expect(said(page.text)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
    const earlier = await agent.get(linkTo(page.text, "Earlier messages")!).expect(200);
    expect(said(earlier.text)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(linkTo(earlier.text, "Earlier messages")).toBeUndefined();
    expect(linkTo(earlier.text, "Latest messages")).toBe("/app/acme/main#chat");
  });

  it("when the message is empty or too long, the page says so, keeps what was typed and stores nothing", async () => {
    const alice = await signedIn();
    const page = await alice.get("/app/acme/main");
    const empty = await alice.post("/app/acme/main/messages").type("form").send({ _csrf: csrfFrom(page.text), content: "   " }).expect(400);
    expect(empty.text).toContain("Write a message first.");
    expect(empty.text).toContain('aria-invalid="true"');
    const long = "x".repeat(8001);
    const tooLong = await alice.post("/app/acme/main/messages").type("form").send({ _csrf: csrfFrom(page.text), content: long }).expect(400);
    expect(tooLong.text).toContain("up to 8,000");
    expect(tooLong.text).toContain(`>${long}</textarea>`);
    expect(fd.store.flowPages.chatMessages(fd.store.directory.flowByPath("acme", "main")!.id, { limit: 10 }).items).toEqual([]);
  });
});

describe("what the pages refuse", () => {
  it("when a chat message, reply or comment comes without the form's CSRF token, it is refused and nothing is stored", async () => {
    const alice = await signedIn();
    const page = await alice.get("/app/acme/main");
    await alice.post("/app/acme/main/messages").type("form").send({ _csrf: csrfFrom(page.text), content: "first" }).expect(303);
    const flowId = fd.store.directory.flowByPath("acme", "main")!.id;
    const threadId = fd.store.flowPages.chatMessages(flowId, { limit: 1 }).items[0]!.thread_id;
    const refused = await alice.post("/app/acme/main/messages").type("form").send({ content: "forged" }).expect(403);
    expect(refused.text).toContain("This form has expired");
    await alice.post(`/app/acme/main/threads/${threadId}/messages`).type("form").send({ _csrf: "not-the-token", content: "forged" }).expect(403);
    // Another person's token is no good either.
    const bobsToken = csrfFrom((await (await signedIn("bob@example.com")).get("/app/acme/main")).text);
    await alice.post("/app/acme/main/messages").type("form").send({ _csrf: bobsToken, content: "forged" }).expect(403);
    expect(fd.store.flowPages.chatMessages(flowId, { limit: 10 }).items.map((m) => m.content)).toEqual(["first"]);
  });

  it("when signed out, posting sends people to sign in and stores nothing; a flow they are not in is 404", async () => {
    const res = await request(fd.url).post("/app/acme/main/messages").type("form").send({ content: "hi" });
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^\/login/);
    const bob = await signedIn("bob@example.com");
    const token = csrfFrom((await bob.get("/app/acme/main")).text);
    await bob.post("/app/acme/support/messages").type("form").send({ _csrf: token, content: "hi" }).expect(404);
    await bob.get("/app/acme/main/threads/nope").expect(404);
    await bob.post("/app/acme/main/threads/nope/messages").type("form").send({ _csrf: token, content: "hi" }).expect(404);
    expect(fd.store.db.prepare("SELECT COUNT(*) AS n FROM messages").get()).toEqual({ n: 0 });
  });
});

describe("live updates", () => {
  it("the pages load one script from the local Flowdock itself, name the flow's event stream, and the policy allows no inline script", async () => {
    const alice = await signedIn();
    const page = await alice.get("/app/acme/main").expect(200);
    expect(page.text).toContain('<script src="/assets/flow-live.js" defer></script>');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).toContain('data-stream-url="/flows/acme/main?accept=text/event-stream"');
    const csp = page.headers["content-security-policy"] as string;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain("unsafe-inline'; script");
    const script = await request(fd.url).get("/assets/flow-live.js").expect(200);
    expect(script.headers["content-type"]).toMatch(/javascript/);
    expect(script.text).toContain("EventSource");
  });

  it("the page's event stream is opened as the signed-in person, by the session alone; without it, or with other credentials that fail, it is refused", async () => {
    const alice = await signedIn();
    await alice.get("/app/acme/main").expect(200);
    const cookie = cookieOf(alice);
    // Only the status and headers are read: once the stream is on, the body never ends.
    const status = async (path: string, headers: Record<string, string> = {}) => {
      const abort = new AbortController();
      const res = await fetch(`${fd.url}${path}`, { headers, signal: abort.signal });
      abort.abort();
      return res.status;
    };
    expect(await status("/flows/acme/main?accept=text/event-stream", { cookie })).toBe(200);
    expect(await status("/flows/acme/main", { cookie, accept: "text/event-stream" })).toBe(200);
    expect(await status("/flows/acme/main?accept=text/event-stream")).toBe(401);
    expect(await status("/flows/acme/main?accept=text/event-stream", { cookie, authorization: "Bearer not-a-token" })).toBe(401);
    // A session is for event streams only: the REST API still wants its own credentials.
    expect(await status("/flows/acme/main", { cookie, accept: "application/json" })).toBe(401);
    expect(await status("/flows/acme/main/messages", { cookie, accept: "text/event-stream" })).toBe(401);
    const bob = await signedIn("bob@example.com");
    await bob.get("/app").expect(200);
    const bobsCookie = cookieOf(bob);
    expect(await status("/flows/acme/support?accept=text/event-stream", { cookie: bobsCookie })).toBe(404);
  });
});
