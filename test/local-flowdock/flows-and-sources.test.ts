// The local Flowdock's REST API for the user, flows and sources (contract
// sections 1, 3 and 4), over real HTTP against a fresh simulator per test.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, APP_BASE_URL, createSource, passwordToken, startTestFlowdock } from "../support/local-flowdock.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

interface Flow {
  id: string; name: string; parameterized_name: string; url: string; web_url: string; joined: boolean; open: boolean; access_mode: string;
  organization: Record<string, unknown>; users: Record<string, unknown>[];
  links: Record<string, { href: string; methods: string[] }>;
}
interface Source {
  id: number; name: string; url: string; external_url: string | null; error_message: string | null; configuration_url: string | null;
  created_at: string; updated_at: string; flow_token?: string;
  application: Record<string, unknown>; creator: Record<string, unknown> | null;
}

let fd: LocalFlowdock;
let alice: string;
let bob: string;
beforeEach(async () => {
  fd = await startTestFlowdock();
  alice = await passwordToken(fd.url, "alice@example.com");
  bob = await passwordToken(fd.url, "bob@example.com");
});
afterEach(async () => { await fd.close(); });

const activity = (flowToken: string, extra: Record<string, unknown> = {}) => ({
  flow_token: flowToken, event: "activity", title: "changed it", author: { name: "Tracker" },
  external_thread_id: "item:1", thread: { title: "Item 1" }, ...extra,
});
const postMessage = (body: unknown) => api(fd.url, "/messages", { method: "POST", body });
const newSource = async (token: string, body: unknown, flow = "acme/main") => api(fd.url, `/flows/${flow}/sources`, { method: "POST", token, body });

describe("GET /user", () => {
  it("when alice asks with a profile token, she gets exactly her id, email, name, nick, avatar and website", async () => {
    const res = await api(fd.url, "/user", { token: alice });
    expect(res.status).toBe(200);
    const user = res.body as Record<string, unknown>;
    expect(Object.keys(user).sort()).toEqual(["avatar", "email", "id", "name", "nick", "website"]);
    expect(user).toMatchObject({ email: "alice@example.com", name: "Alice Anders", nick: "Alice" });
    expect(typeof user.id).toBe("number");
    expect(user.avatar).toMatch(/^https:\/\//);
  });

  it("when bob asks, he gets himself, not alice", async () => {
    const res = await api(fd.url, "/user", { token: bob });
    expect(res.body).toMatchObject({ email: "bob@example.com", name: "Bob Berg", nick: "Bob" });
  });

  it("when the token is passed as ?access_token=, it works as the Bearer header does", async () => {
    const res = await api(fd.url, `/user?access_token=${encodeURIComponent(alice)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: "alice@example.com" });
  });

  it("when no token is sent, the answer is 401 with a Bearer challenge", async () => {
    const res = await api(fd.url, "/user");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ message: expect.any(String) });
  });

  it("when the token is unknown, the answer is 401 invalid_token", async () => {
    const res = await api(fd.url, "/user", { token: "not-a-real-token" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("when the token lacks scope profile, the answer is 403 insufficient_scope", async () => {
    const token = await passwordToken(fd.url, "alice@example.com", "flow integration");
    const res = await api(fd.url, "/user", { token });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
  });
});

describe("GET /flows, /flows/find and /flows/:org/:flow", () => {
  it("when alice lists flows, she sees Main and Support with their organization, users and links", async () => {
    const res = await api(fd.url, "/flows", { token: alice });
    expect(res.status).toBe(200);
    const flows = res.body as Flow[];
    expect(flows.map((f) => f.parameterized_name)).toEqual(["main", "support"]);
    for (const f of flows) {
      expect(f.url).toBe(`${fd.url}/flows/acme/${f.parameterized_name}`);
      expect(f.joined).toBe(true);
      expect(f.organization).toMatchObject({ name: "Acme Inc", parameterized_name: "acme", user_count: 2, active: true });
    }
    expect(flows[0]!.users.map((u) => u.email)).toEqual(["alice@example.com", "bob@example.com"]);
    expect(flows[1]!.users.map((u) => u.email)).toEqual(["alice@example.com"]);
  });

  it("when bob lists flows, he sees only Main", async () => {
    const flows = (await api(fd.url, "/flows", { token: bob })).body as Flow[];
    expect(flows.map((f) => f.parameterized_name)).toEqual(["main"]);
  });

  it("when a flow is fetched by path, it carries every field of the contract and links.sources with GET and POST", async () => {
    const res = await api(fd.url, "/flows/acme/main", { token: alice });
    expect(res.status).toBe(200);
    const flow = res.body as Flow;
    expect(flow.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(flow).toMatchObject({
      name: "Main", parameterized_name: "main", open: true, joined: true,
      url: `${fd.url}/flows/acme/main`, web_url: `${fd.url}/app/acme/main`,
      access_mode: expect.stringMatching(/^(invitation|link|organization)$/),
      organization: {
        id: expect.any(Number), name: "Acme Inc", parameterized_name: "acme", user_limit: expect.any(Number),
        user_count: 2, active: true, url: expect.stringContaining("acme"),
      },
    });
    expect(flow.links.sources).toEqual({ href: `${fd.url}/flows/acme/main/sources`, methods: ["GET", "POST"] });
    for (const user of flow.users) {
      expect(Object.keys(user).sort()).toEqual(["avatar", "disabled", "email", "id", "name", "nick"]);
      expect(user.disabled).toBe(false);
    }
  });

  it("when a client follows links.sources, it reaches the flow's sources", async () => {
    const flow = (await api(fd.url, "/flows/acme/main", { token: alice })).body as Flow;
    const path = new URL(flow.links.sources!.href).pathname;
    expect((await api(fd.url, path, { token: alice })).body).toEqual([]);
    expect((await newSource(alice, { name: "Via link" }, "acme/main")).status).toBe(201);
    expect(((await api(fd.url, path, { token: alice })).body as Source[]).map((s) => s.name)).toEqual(["Via link"]);
  });

  it("when a flow is found by id, the answer equals the flow fetched by path", async () => {
    const byPath = (await api(fd.url, "/flows/acme/support", { token: alice })).body as Flow;
    const found = await api(fd.url, `/flows/find?id=${byPath.id}`, { token: alice });
    expect(found.status).toBe(200);
    expect(found.body).toEqual(byPath);
  });

  it("when /flows/find has no id, the answer is 400 with a field error for id", async () => {
    for (const query of ["", "?id="]) {
      const res = await api(fd.url, `/flows/find${query}`, { token: alice });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ message: "Validation error", errors: { id: [expect.any(String)] } });
    }
  });

  it("when /flows/find names an unknown id, the answer is 404 not found", async () => {
    const res = await api(fd.url, "/flows/find?id=00000000-0000-0000-0000-000000000000", { token: alice });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "not found" });
  });

  it("when bob asks for Support, which he is not in, by path or by id, the answer is 404 not found", async () => {
    const support = (await api(fd.url, "/flows/acme/support", { token: alice })).body as Flow;
    for (const path of ["/flows/acme/support", `/flows/find?id=${support.id}`, "/flows/acme/support/sources"]) {
      const res = await api(fd.url, path, { token: bob });
      expect(res.status, path).toBe(404);
      expect(res.body, path).toEqual({ message: "not found" });
    }
  });

  it("when the organization or flow does not exist, the answer is 404 not found", async () => {
    for (const path of ["/flows/acme/nope", "/flows/nope/main", "/flows/acme/nope/sources"]) {
      const res = await api(fd.url, path, { token: alice });
      expect(res.status, path).toBe(404);
      expect(res.body, path).toEqual({ message: "not found" });
    }
  });

  it("when the token has only scope profile, reading flows is 403", async () => {
    const token = await passwordToken(fd.url, "alice@example.com", "profile");
    expect((await api(fd.url, "/flows", { token })).status).toBe(403);
    expect((await api(fd.url, "/flows/acme/main", { token })).status).toBe(403);
  });

  it("when the token has only scope integration (as the example integration asks), it can read the flow it joins", async () => {
    const token = await passwordToken(fd.url, "alice@example.com", "profile integration");
    expect((await api(fd.url, "/flows/acme/main", { token })).status).toBe(200);
  });
});

describe("creating sources", () => {
  it("when alice creates a source, the answer is 201 with the source, its url and a flow_token", async () => {
    const res = await newSource(alice, { name: "Website", external_url: "http://app.test/projects/1" });
    expect(res.status).toBe(201);
    const source = res.body as Source;
    expect(source).toMatchObject({
      id: expect.any(Number), name: "Website", external_url: "http://app.test/projects/1", error_message: null,
      url: `${fd.url}/flows/acme/main/sources/${source.id}`,
      application: { id: expect.any(Number), name: "Tracker", configuration_uri: `${APP_BASE_URL}/flowdock/configure` },
      creator: { email: "alice@example.com", name: "Alice Anders", nick: "Alice" },
    });
    expect(typeof source.flow_token).toBe("string");
    expect(source.flow_token!.length).toBeGreaterThanOrEqual(20);
    expect(Number.isNaN(Date.parse(source.created_at))).toBe(false);
    expect(source.updated_at).toBe(source.created_at);
  });

  it("when a source is created without external_url, external_url is null", async () => {
    const res = await newSource(alice, { name: "Plain" });
    expect(res.status).toBe(201);
    expect((res.body as Source).external_url).toBeNull();
  });

  it("when two sources are created, each gets its own id and flow_token", async () => {
    const a = (await newSource(alice, { name: "A" })).body as Source;
    const b = (await newSource(alice, { name: "B" })).body as Source;
    expect(a.id).not.toBe(b.id);
    expect(a.flow_token).not.toBe(b.flow_token);
  });

  it("when bob (a flow member, not an admin) creates a source in Main, it works and he is its creator", async () => {
    const res = await newSource(bob, { name: "Bob's" });
    expect(res.status).toBe(201);
    expect((res.body as Source).creator).toMatchObject({ email: "bob@example.com" });
  });

  it("when bob creates a source in Support, which he cannot see, the answer is 404 and nothing is created", async () => {
    const res = await newSource(bob, { name: "Sneaky" }, "acme/support");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "not found" });
    expect((await api(fd.url, "/flows/acme/support/sources", { token: alice })).body).toEqual([]);
  });

  it("when the token lacks scope integration, creating a source is 403 and nothing is created", async () => {
    const token = await passwordToken(fd.url, "alice@example.com", "flow profile");
    const res = await newSource(token, { name: "No scope" });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain("insufficient_scope");
    expect((await api(fd.url, "/flows/acme/main/sources", { token: alice })).body).toEqual([]);
  });

  it("when no user token is sent, creating a source is 401", async () => {
    expect((await api(fd.url, "/flows/acme/main/sources", { method: "POST", body: { name: "Anon" } })).status).toBe(401);
  });

  it("when the name is missing or blank, the answer is 400 with a field error for name", async () => {
    for (const body of [{}, { name: "" }, { name: "   " }, { name: 42 }]) {
      const res = await newSource(alice, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ message: "Validation error", errors: { name: [expect.any(String)] } });
    }
    expect((await api(fd.url, "/flows/acme/main/sources", { token: alice })).body).toEqual([]);
  });

  it("when external_url is not an http(s) URL, the answer is 400 with a field error for external_url", async () => {
    for (const external_url of ["not a url", "ftp://example.com/x", "javascript:alert(1)"]) {
      const res = await newSource(alice, { name: "X", external_url });
      expect(res.status, external_url).toBe(400);
      expect(res.body).toMatchObject({ message: "Validation error", errors: { external_url: [expect.any(String)] } });
    }
  });

  it("when the name is longer than 255 characters, the answer is 400 with a field error for name", async () => {
    const res = await newSource(alice, { name: "n".repeat(256) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: "Validation error", errors: { name: [expect.any(String)] } });
    expect((await newSource(alice, { name: "n".repeat(255) })).status).toBe(201);
  });
});

describe("reading sources", () => {
  it("when sources are listed or fetched, the flow_token is never in the answer", async () => {
    const { source } = await createSource(fd.url);
    const list = await api(fd.url, "/flows/acme/main/sources", { token: alice });
    expect(list.status).toBe(200);
    const listed = list.body as Source[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty("flow_token");
    const one = await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: alice });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty("flow_token");
    expect(one.body).toEqual(listed[0]);
    const all = (await api(fd.url, "/sources", { token: alice })).body as Source[];
    expect(all[0]).not.toHaveProperty("flow_token");
    const own = (await api(fd.url, `/sources?flow_token=${source.flow_token}`)).body as Source[];
    expect(own[0]).not.toHaveProperty("flow_token");
    expect(JSON.stringify([listed, one.body, all, own])).not.toContain(source.flow_token);
  });

  it("when a source is fetched, it has every field of the contract", async () => {
    const { source } = await createSource(fd.url);
    const got = (await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: alice })).body as Source;
    expect(got).toMatchObject({
      id: source.id, name: "Website", url: `${fd.url}/flows/acme/main/sources/${source.id}`, external_url: "http://app.test/projects/1",
      error_message: null, created_at: expect.any(String), updated_at: expect.any(String),
      application: { id: expect.any(Number), name: "Tracker", icon_url: expect.any(String), url: expect.any(String), configuration_uri: `${APP_BASE_URL}/flowdock/configure` },
      creator: { id: expect.any(Number), nick: "Alice", name: "Alice Anders", email: "alice@example.com", avatar: expect.any(String) },
    });
  });

  it("when sources exist in two flows, each flow lists only its own, in creation order", async () => {
    await newSource(alice, { name: "Main 1" });
    await newSource(alice, { name: "Support 1" }, "acme/support");
    await newSource(alice, { name: "Main 2" });
    const main = (await api(fd.url, "/flows/acme/main/sources", { token: alice })).body as Source[];
    const support = (await api(fd.url, "/flows/acme/support/sources", { token: alice })).body as Source[];
    expect(main.map((s) => s.name)).toEqual(["Main 1", "Main 2"]);
    expect(support.map((s) => s.name)).toEqual(["Support 1"]);
  });

  it("when a source of Support is asked for under Main's path, the answer is 404", async () => {
    const other = (await newSource(alice, { name: "Support 1" }, "acme/support")).body as Source;
    const res = await api(fd.url, `/flows/acme/main/sources/${other.id}`, { token: alice });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "not found" });
  });

  it("when the source id is unknown or not a number, the answer is 404", async () => {
    for (const id of ["999999", "abc", "1.5"]) {
      const res = await api(fd.url, `/flows/acme/main/sources/${id}`, { token: alice });
      expect(res.status, id).toBe(404);
    }
  });

  it("when a user lists GET /sources, they get the sources of every flow they can see and no other", async () => {
    await newSource(alice, { name: "Main 1" });
    await newSource(alice, { name: "Support 1" }, "acme/support");
    expect(((await api(fd.url, "/sources", { token: alice })).body as Source[]).map((s) => s.name).sort()).toEqual(["Main 1", "Support 1"]);
    expect(((await api(fd.url, "/sources", { token: bob })).body as Source[]).map((s) => s.name)).toEqual(["Main 1"]);
  });

  it("when GET /sources carries a flow_token, the answer is only that token's own source", async () => {
    const a = (await newSource(alice, { name: "A" })).body as Source;
    await newSource(alice, { name: "B" });
    const res = await api(fd.url, `/sources?flow_token=${a.flow_token}`);
    expect(res.status).toBe(200);
    expect((res.body as Source[]).map((s) => s.id)).toEqual([a.id]);
  });

  it("when GET /sources carries an unknown flow_token, the answer is 401", async () => {
    expect((await api(fd.url, "/sources?flow_token=nope")).status).toBe(401);
  });

  it("when GET /sources has neither a flow_token nor a user token, the answer is 401", async () => {
    expect((await api(fd.url, "/sources")).status).toBe(401);
  });
});

describe("updating sources", () => {
  it("when an update names a field Flowdock does not document as updatable (name, external_url), the answer is 400 naming it and nothing changes", async () => {
    const { source } = await createSource(fd.url);
    const path = `/flows/acme/main/sources/${source.id}`;
    const before = (await api(fd.url, path, { token: alice })).body as Source;
    const res = await api(fd.url, path, { method: "PUT", token: alice, body: { name: "Renamed", error_message: "x" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: "Validation error", errors: { name: [expect.stringContaining("can't be updated")] } });
    const byToken = await api(fd.url, "/sources", { method: "PUT", body: { flow_token: source.flow_token, external_url: "http://app.test/x" } });
    expect(byToken.status).toBe(400);
    expect(byToken.body).toMatchObject({ errors: { external_url: [expect.any(String)] } });
    expect((await api(fd.url, path, { token: alice })).body).toEqual(before);
  });

  it("when error_message is set, it shows on the source, and an empty string clears it back to null", async () => {
    const { source } = await createSource(fd.url);
    const path = `/flows/acme/main/sources/${source.id}`;
    const set = await api(fd.url, path, { method: "PUT", token: alice, body: { error_message: "Delivery failing since 10:00" } });
    expect(set.status).toBe(200);
    expect((set.body as Source).error_message).toBe("Delivery failing since 10:00");
    expect(((await api(fd.url, path, { token: alice })).body as Source).error_message).toBe("Delivery failing since 10:00");
    const cleared = await api(fd.url, path, { method: "PUT", token: alice, body: { error_message: "" } });
    expect(cleared.status).toBe(200);
    expect((cleared.body as Source).error_message).toBeNull();
    expect(((await api(fd.url, path, { token: alice })).body as Source).error_message).toBeNull();
    await api(fd.url, path, { method: "PUT", token: alice, body: { error_message: "again" } });
    expect(((await api(fd.url, path, { method: "PUT", token: alice, body: { error_message: null } })).body as Source).error_message).toBeNull();
  });

  it("when configuration_url is set, the source carries it; a bad URL is 400", async () => {
    const { source } = await createSource(fd.url);
    const path = `/flows/acme/main/sources/${source.id}`;
    const res = await api(fd.url, path, { method: "PUT", token: alice, body: { configuration_url: "http://app.test/configure/1" } });
    expect(res.status).toBe(200);
    expect((res.body as Source).configuration_url).toBe("http://app.test/configure/1");
    const bad = await api(fd.url, path, { method: "PUT", token: alice, body: { configuration_url: "not a url" } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ message: "Validation error", errors: { configuration_url: [expect.any(String)] } });
    expect(((await api(fd.url, path, { token: alice })).body as Source).configuration_url).toBe("http://app.test/configure/1");
  });

  it("when an update sends only one field, the other keeps its value", async () => {
    const { source } = await createSource(fd.url);
    const path = `/flows/acme/main/sources/${source.id}`;
    await api(fd.url, path, { method: "PUT", token: alice, body: { error_message: "broken", configuration_url: "http://app.test/c" } });
    const res = await api(fd.url, path, { method: "PUT", token: alice, body: { error_message: "still broken" } });
    expect(res.body).toMatchObject({ name: "Website", error_message: "still broken", configuration_url: "http://app.test/c", external_url: "http://app.test/projects/1" });
  });

  it("when PUT /sources carries the flow_token in the query, the integration updates its own source without a user token", async () => {
    const { source } = await createSource(fd.url);
    const res = await api(fd.url, `/sources?flow_token=${source.flow_token}`, { method: "PUT", body: { error_message: "Token expired, reconnect" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: source.id, error_message: "Token expired, reconnect" });
    expect(res.body).not.toHaveProperty("flow_token");
    const cleared = await api(fd.url, `/sources?flow_token=${source.flow_token}`, { method: "PUT", body: { error_message: "" } });
    expect((cleared.body as Source).error_message).toBeNull();
  });

  it("when PUT /sources carries the flow_token in the body, it works the same", async () => {
    const { source } = await createSource(fd.url);
    const res = await api(fd.url, "/sources", { method: "PUT", body: { flow_token: source.flow_token, configuration_url: "http://app.test/c/9" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: source.id, configuration_url: "http://app.test/c/9" });
  });

  it("when PUT /sources has no or an unknown flow_token, the answer is 401 and nothing changes", async () => {
    const { source } = await createSource(fd.url);
    expect((await api(fd.url, "/sources", { method: "PUT", body: { name: "X" } })).status).toBe(401);
    expect((await api(fd.url, "/sources?flow_token=unknown", { method: "PUT", body: { name: "X" } })).status).toBe(401);
    expect(((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: alice })).body as Source).name).toBe("Website");
  });

  it("when PUT /sources has invalid input, the answer is 400 with field errors", async () => {
    const { source } = await createSource(fd.url);
    const res = await api(fd.url, `/sources?flow_token=${source.flow_token}`, { method: "PUT", body: { name: "", configuration_url: "nope" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: "Validation error", errors: { name: [expect.any(String)], configuration_url: [expect.any(String)] } });
  });

  it("when bob updates a source in Support, which he cannot see, the answer is 404", async () => {
    const other = (await newSource(alice, { name: "Support 1" }, "acme/support")).body as Source;
    const res = await api(fd.url, `/flows/acme/support/sources/${other.id}`, { method: "PUT", token: bob, body: { name: "Hijacked" } });
    expect(res.status).toBe(404);
    expect(((await api(fd.url, `/flows/acme/support/sources/${other.id}`, { token: alice })).body as Source).name).toBe("Support 1");
  });
});

describe("deleting sources", () => {
  it("when a source is deleted, the answer is 204 with no body and it is gone from every listing", async () => {
    const { source } = await createSource(fd.url);
    const res = await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: alice });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { token: alice })).status).toBe(404);
    expect((await api(fd.url, "/flows/acme/main/sources", { token: alice })).body).toEqual([]);
    expect((await api(fd.url, "/sources", { token: alice })).body).toEqual([]);
  });

  it("when the source was deleted, its flow token gets 410 Gone on POST /messages", async () => {
    const { source } = await createSource(fd.url);
    expect((await postMessage(activity(source.flow_token))).status).toBe(202);
    await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: alice });
    const res = await postMessage(activity(source.flow_token, { title: "after delete" }));
    expect(res.status).toBe(410);
    expect(res.body).toMatchObject({ message: expect.any(String) });
    const messages = (await api(fd.url, "/flows/acme/main/messages", { token: alice })).body as { title: string }[];
    expect(messages.map((m) => m.title)).toEqual(["changed it"]);
  });

  it("when the source was deleted, its flow token gets 410 on GET and PUT /sources too", async () => {
    const { source } = await createSource(fd.url);
    await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: alice });
    expect((await api(fd.url, `/sources?flow_token=${source.flow_token}`)).status).toBe(410);
    expect((await api(fd.url, `/sources?flow_token=${source.flow_token}`, { method: "PUT", body: { error_message: "x" } })).status).toBe(410);
  });

  it("when a source is deleted twice, the second delete is 404", async () => {
    const { source } = await createSource(fd.url);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: alice })).status).toBe(404);
  });

  it("when one of two sources is deleted, the other's flow token keeps working", async () => {
    const a = (await newSource(alice, { name: "A" })).body as Source;
    const b = (await newSource(alice, { name: "B" })).body as Source;
    await api(fd.url, `/flows/acme/main/sources/${a.id}`, { method: "DELETE", token: alice });
    expect((await postMessage(activity(a.flow_token!))).status).toBe(410);
    expect((await postMessage(activity(b.flow_token!))).status).toBe(202);
  });

  it("when a source was deleted, the threads it posted still name it", async () => {
    const { source } = await createSource(fd.url);
    await postMessage(activity(source.flow_token));
    await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: alice });
    const threads = (await api(fd.url, "/flows/acme/main/threads", { token: alice })).body as { source: { id: number; name: string } }[];
    expect(threads).toHaveLength(1);
    expect(threads[0]!.source).toMatchObject({ id: source.id, name: "Website" });
  });

  it("when bob deletes a source in Support, which he cannot see, the answer is 404 and its token still posts", async () => {
    const other = (await newSource(alice, { name: "Support 1" }, "acme/support")).body as Source;
    expect((await api(fd.url, `/flows/acme/support/sources/${other.id}`, { method: "DELETE", token: bob })).status).toBe(404);
    expect((await postMessage(activity(other.flow_token!))).status).toBe(202);
  });

  it("when a delete has no user token, the answer is 401 and the source stays", async () => {
    const { source } = await createSource(fd.url);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE" })).status).toBe(401);
    expect((await api(fd.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", headers: { authorization: `Bearer ${source.flow_token}` } })).status).toBe(401);
    expect((await postMessage(activity(source.flow_token))).status).toBe(202);
  });
});

describe("the /integrations alias", () => {
  it("when sources are managed through …/integrations, it is the same collection as …/sources", async () => {
    const created = await api(fd.url, "/flows/acme/main/integrations", { method: "POST", token: alice, body: { name: "Old client" } });
    expect(created.status).toBe(201);
    const source = created.body as Source;
    expect(typeof source.flow_token).toBe("string");
    expect(((await api(fd.url, "/flows/acme/main/sources", { token: alice })).body as Source[]).map((s) => s.id)).toEqual([source.id]);
    const listed = (await api(fd.url, "/flows/acme/main/integrations", { token: alice })).body as Source[];
    expect(listed.map((s) => s.id)).toEqual([source.id]);
    expect(listed[0]).not.toHaveProperty("flow_token");
    expect((await api(fd.url, `/flows/acme/main/integrations/${source.id}`, { token: alice })).body).toMatchObject({ id: source.id, name: "Old client" });
    const updated = await api(fd.url, `/flows/acme/main/integrations/${source.id}`, { method: "PUT", token: alice, body: { error_message: "e" } });
    expect(updated.body).toMatchObject({ error_message: "e" });
    expect((await api(fd.url, `/flows/acme/main/integrations/${source.id}`, { method: "DELETE", token: alice })).status).toBe(204);
    expect((await postMessage(activity(source.flow_token!))).status).toBe(410);
  });

  it("when a source made under …/sources is read under …/integrations, it is found", async () => {
    const { source } = await createSource(fd.url);
    expect((await api(fd.url, `/flows/acme/main/integrations/${source.id}`, { token: alice })).status).toBe(200);
  });

  it("when an integration uses the top-level /integrations with its flow_token, it reads and updates its own source", async () => {
    const { source } = await createSource(fd.url);
    const read = await api(fd.url, `/integrations?flow_token=${source.flow_token}`);
    expect(read.status).toBe(200);
    expect((read.body as Source[]).map((s) => s.id)).toEqual([source.id]);
    const put = await api(fd.url, `/integrations?flow_token=${source.flow_token}`, { method: "PUT", body: { error_message: "alias" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: source.id, error_message: "alias" });
  });

  it("when bob uses …/integrations on Support, the answer is 404 as for …/sources", async () => {
    expect((await api(fd.url, "/flows/acme/support/integrations", { token: bob })).status).toBe(404);
  });
});

describe("a flow's links follow the caller's scopes", () => {
  it("when the token holds integration, sources can be created; with flow only, messages and threads can be read instead", async () => {
    const linksFor = async (scope: string) =>
      ((await api(fd.url, "/flows/acme/main", { token: await passwordToken(fd.url, "alice@example.com", scope) })).body as { links: Record<string, { methods: string[] }> }).links;
    const integration = await linksFor("profile integration");
    expect(integration.sources?.methods).toEqual(["GET", "POST"]);
    expect(integration.messages).toBeUndefined();
    const flow = await linksFor("flow");
    expect(flow.sources).toBeUndefined();
    expect(flow.messages?.methods).toEqual(["GET"]);
    expect(flow.threads?.methods).toEqual(["GET"]);
  });
});
