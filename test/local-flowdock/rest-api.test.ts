// The local Flowdock's REST API: the user, flows with their links, and sources
// (create, list, get, update, delete, the /integrations alias, flow_token access).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let alice: string;
let bob: string;
beforeEach(async () => {
  fd = await startTestFlowdock();
  alice = await passwordToken(fd.url, "alice@example.com");
  bob = await passwordToken(fd.url, "bob@example.com");
});
afterEach(async () => { await fd.close(); });

const message = (flowToken: string) => ({ flow_token: flowToken, event: "activity", title: "did it", author: { name: "A" }, external_thread_id: "t", thread: { title: "T" } });

describe("the user and flows", () => {
  it("when alice asks for herself, /user answers her profile", async () => {
    const res = await api(fd.url, "/user", { token: alice });
    expect(res.body).toMatchObject({ email: "alice@example.com", name: "Alice Anders", nick: "Alice" });
    expect(Object.keys(res.body as object).sort()).toEqual(["avatar", "email", "id", "name", "nick", "website"]);
  });

  it("when a person lists flows, they see the flows they are in, each with its API url and links", async () => {
    const mine = (await api(fd.url, "/flows", { token: bob })).body as { parameterized_name: string }[];
    expect(mine.map((f) => f.parameterized_name)).toEqual(["main"]);
    const flow = (await api(fd.url, "/flows/acme/main", { token: alice })).body as { id: string; users: unknown[] };
    expect(flow).toMatchObject({
      name: "Main", parameterized_name: "main", url: `${fd.url}/flows/acme/main`, web_url: `${fd.url}/app/acme/main`,
      organization: { name: "Acme Inc", parameterized_name: "acme", user_count: 2 },
      links: { sources: { href: `${fd.url}/flows/acme/main/sources`, methods: ["GET", "POST"] } },
    });
    expect(flow.users).toHaveLength(2);
    const found = await api(fd.url, `/flows/find?id=${flow.id}`, { token: alice });
    expect(found.body).toEqual(flow);
  });

  it("when the flow is unknown or the person is not in it, the answer is 404 not found; a missing id is 400", async () => {
    expect(await api(fd.url, "/flows/acme/support", { token: bob })).toMatchObject({ status: 404, body: { message: "not found" } });
    const support = (await api(fd.url, "/flows/acme/support", { token: alice })).body as { id: string };
    expect((await api(fd.url, `/flows/find?id=${support.id}`, { token: bob })).status).toBe(404);
    expect((await api(fd.url, "/flows/find?id=nope", { token: alice })).status).toBe(404);
    expect((await api(fd.url, "/flows/find", { token: alice })).status).toBe(400);
    expect((await api(fd.url, "/flows/acme/nope", { token: alice })).status).toBe(404);
  });
});

describe("sources", () => {
  it("when a source is created, only the creation answer carries its flow_token", async () => {
    const { source } = await createSource(fd.url, "Website");
    expect(source).toMatchObject({ name: "Website", url: `${fd.url}/flows/acme/main/sources/${source.id}` });
    expect(source.flow_token).toMatch(/.{20,}/);
    const listed = (await api(fd.url, "/flows/acme/main/sources", { token: alice })).body as Record<string, unknown>[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty("flow_token");
    expect(listed[0]).toMatchObject({ id: source.id, name: "Website", external_url: "http://app.test/projects/1", error_message: null, application: { name: "Tracker" }, creator: { email: "alice@example.com" } });
    const one = await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: alice });
    expect(one.body).not.toHaveProperty("flow_token");
    const alias = await api(fd.url, `/flows/acme/main/integrations/${source.id}`, { token: alice });
    expect(alias.body).toEqual(one.body);
  });

  it("when a source is updated, name, error_message and configuration_url change, and an empty error_message clears it", async () => {
    const { source } = await createSource(fd.url);
    const updated = await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "PUT", token: alice, body: { name: "Site", error_message: "Token expired" } });
    expect(updated.body).toMatchObject({ name: "Site", error_message: "Token expired" });
    const viaToken = await api(fd.url, "/sources", { method: "PUT", body: { flow_token: source.flow_token, error_message: "" } });
    expect(viaToken.body).toMatchObject({ id: source.id, error_message: null });
    const mine = (await api(fd.url, `/sources?flow_token=${source.flow_token}`)).body as { id: number }[];
    expect(mine.map((s) => s.id)).toEqual([source.id]);
  });

  it("when a source is deleted, it is gone and its flow token gets 410 Gone", async () => {
    const { source } = await createSource(fd.url);
    expect((await api(fd.url, "/messages", { method: "POST", body: message(source.flow_token) })).status).toBe(202);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: alice })).status).toBe(404);
    expect((await api(fd.url, "/messages", { method: "POST", body: message(source.flow_token) })).status).toBe(410);
    expect((await api(fd.url, "/sources", { method: "PUT", body: { flow_token: source.flow_token, name: "x" } })).status).toBe(410);
  });

  it("when the input is wrong, the answer is 400 with field errors and nothing is created", async () => {
    for (const body of [{}, { name: "" }, { name: "a".repeat(300) }, { name: "X", external_url: "javascript:alert(1)" }]) {
      const res = await api(fd.url, "/flows/acme/main/sources", { method: "POST", token: alice, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ message: "Validation error", errors: expect.any(Object) });
    }
    expect((await api(fd.url, "/flows/acme/main/sources", { token: alice })).body).toEqual([]);
  });

  it("when someone outside the flow or without a token touches its sources, they are refused", async () => {
    const { source } = await createSource(fd.url);
    expect((await api(fd.url, "/flows/acme/support/sources", { method: "POST", token: bob, body: { name: "X" } })).status).toBe(404);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE" })).status).toBe(401);
    expect((await api(fd.url, "/sources?flow_token=unknown")).status).toBe(401);
  });
});
