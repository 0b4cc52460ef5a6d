// Flowdock's own Node.js client (npm `flowdock` 0.9.1, unmodified) against the
// local Flowdock: it takes the API's base URL as the Session constructor's third
// argument (or FLOWDOCK_API_URL), and speaks HTTP Basic with email and password
// or with an API token as the user name.
import { Session } from "flowdock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { apiTokenOf, basic } from "../support/flowdock-user.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

interface Flow { id: string; parameterized_name: string; organization: { parameterized_name: string }; users: { email: string }[] }
interface Message { id: number; event: string; content: unknown; tags: string[]; user: string; thread_id: string }

let fd: LocalFlowdock;
beforeEach(async () => { fd = await startTestFlowdock(); });
afterEach(async () => { await fd.close(); });

/** Runs one of the client's callback methods and answers its (err, body). */
function call<T>(run: (cb: (err: Error | null, body?: unknown) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, body) => (err ? reject(err) : resolve(body as T))));
}

function session(user: string, password?: string): Session {
  const s = new Session(user, password, fd.url);
  s.on("error", () => {}); // errors reach the callbacks too; unhandled they would crash the test run
  return s;
}

const mainMessages = async () =>
  (await api(fd.url, "/flows/acme/main/messages?limit=100", { headers: basic("bob@example.com", "flowdock") })).body as Message[];

describe("Flowdock's Node.js client", () => {
  it("when a session signs in with email and password, flows() lists the person's flows with their users", async () => {
    const flows = await call<Flow[]>((cb) => session("alice@example.com", "flowdock").flows(cb));
    expect(flows.map((f) => `${f.organization.parameterized_name}/${f.parameterized_name}`).sort()).toEqual(["acme/main", "acme/support"]);
    expect(flows.find((f) => f.parameterized_name === "main")!.users.map((u) => u.email).sort()).toEqual(["alice@example.com", "bob@example.com"]);
  });

  it("when a session uses an API token, flows() answers as the token's owner", async () => {
    const token = await apiTokenOf(fd.url, "bob@example.com");
    const flows = await call<Flow[]>((cb) => session(token).flows(cb));
    expect(flows.map((f) => f.parameterized_name)).toEqual(["main"]);
  });

  it("when the password is wrong, the client's callback gets the 401", async () => {
    await expect(call((cb) => session("alice@example.com", "wrong").flows(cb))).rejects.toThrow(/401/);
  });

  it("when the client sends a message, a reply in its thread, a comment and a status, each lands in the flow as the documented kind", async () => {
    const token = await apiTokenOf(fd.url);
    const s = session(token);
    const flowId = fd.store.directory.flowByPath("acme", "main")!.id;
    await call((cb) => s.message(flowId, "Hello from the client #hello", ["Greeting"], cb));
    const [first] = await mainMessages();
    expect(first).toMatchObject({ event: "message", content: "Hello from the client #hello", user: String(fd.store.directory.userByEmail("alice@example.com")!.id) });
    expect(first!.tags.sort()).toEqual(["greeting", "hello"]);

    await call((cb) => s.threadMessage(flowId, first!.thread_id, "In the thread", [], cb));
    await call((cb) => s.comment(flowId, first!.id, "A comment", [], cb));
    await call((cb) => s.status(flowId, "Writing tests", cb));

    const all = await mainMessages();
    expect(all.map((m) => [m.event, m.thread_id === first!.thread_id])).toEqual([
      ["message", true], ["message", true], ["comment", true], ["status", false],
    ]);
    expect(all[2]!.content).toEqual({ title: "Hello from the client #hello", text: "A comment" });
    expect(all[3]!.content).toBe("Writing tests");
  });

  it("when the client posts to a flow the person can't see, its callback gets the 404 and nothing is posted", async () => {
    const support = fd.store.directory.flowByPath("acme", "support")!.id;
    await expect(call((cb) => session("bob@example.com", "flowdock").message(support, "sneaky", [], cb))).rejects.toThrow(/404/);
    expect((await api(fd.url, "/flows/acme/support/messages", { headers: basic("alice@example.com", "flowdock") })).body).toEqual([]);
  });

  it("when FLOWDOCK_API_URL is set, a session made without a URL uses it", async () => {
    const before = process.env.FLOWDOCK_API_URL;
    process.env.FLOWDOCK_API_URL = fd.url;
    try {
      const s = new Session("alice@example.com", "flowdock");
      expect(s.url).toBe(fd.url);
      expect((await call<Flow[]>((cb) => s.flows(cb))).length).toBe(2);
    } finally {
      if (before === undefined) delete process.env.FLOWDOCK_API_URL;
      else process.env.FLOWDOCK_API_URL = before;
    }
  });
});
