// The local Flowdock's storage in a file: everything an integration and its
// users made survives a restart on the same file, and the seeded application
// follows the options of each start without the seed being added twice.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, APP_BASE_URL, createSource, passwordToken, startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

interface Message { id: number; uuid: string | null; title: string | null; thread_id: string }
interface Thread { id: string; external_thread_id: string; title: string; status: { color: string; value: string } | null }
interface Source { id: number; name: string; url: string; error_message: string | null; application: { name: string; icon_url: string; configuration_uri: string } }

let dir: string;
let databasePath: string;
let running: LocalFlowdock | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-flowdock-persistence-"));
  databasePath = path.join(dir, "flowdock.db");
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(overrides: Parameters<typeof startTestFlowdock>[0] = {}) {
  running = await startTestFlowdock({ databasePath, ...overrides });
  return running;
}
async function restart(overrides: Parameters<typeof startTestFlowdock>[0] = {}) {
  await running?.close();
  running = undefined;
  return start(overrides);
}
const integration = (appBaseUrl: string, extra: Partial<{ name: string; clientSecret: string }> = {}) => ({
  name: "Tracker", clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, appBaseUrl, ...extra,
});

const post = (url: string, flowToken: string, extra: Record<string, unknown> = {}) => api(url, "/messages", {
  method: "POST",
  body: { flow_token: flowToken, event: "activity", title: "changed", author: { name: "Tracker" }, external_thread_id: "item:1", thread: { title: "Item 1", status: { color: "green", value: "open" } }, ...extra },
});
const count = (fd: LocalFlowdock, table: string) => (fd.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("restarting on the same database file", () => {
  it("when the simulator restarts, the source, its flow token, threads and messages are all still there", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    expect((await post(first.url, source.flow_token, { uuid: "m1", title: "opened" })).status).toBe(202);
    expect((await post(first.url, source.flow_token, { uuid: "m2", title: "commented", external_thread_id: "item:2", thread: { title: "Item 2" } })).status).toBe(202);
    const threadsBefore = (await api(first.url, "/flows/acme/main/threads", { token: userToken })).body as Thread[];
    const messagesBefore = (await api(first.url, "/flows/acme/main/messages", { token: userToken })).body as Message[];

    const second = await restart();
    const sources = (await api(second.url, "/flows/acme/main/sources", { token: userToken })).body as Source[];
    expect(sources.map((s) => [s.id, s.name])).toEqual([[source.id, "Website"]]);
    expect(sources[0]).not.toHaveProperty("flow_token");
    expect((await api(second.url, "/flows/acme/main/threads", { token: userToken })).body).toEqual(
      threadsBefore.map((t) => ({ ...t, source: expect.anything() })),
    );
    expect((await api(second.url, "/flows/acme/main/messages", { token: userToken })).body).toEqual(messagesBefore);
    expect(((await api(second.url, `/sources?flow_token=${source.flow_token}`)).body as Source[]).map((s) => s.id)).toEqual([source.id]);
    expect((await post(second.url, source.flow_token, { uuid: "m3" })).status).toBe(202);
  });

  it("when an access token was issued before the restart, it still works after it", async () => {
    const first = await start();
    const token = await passwordToken(first.url, "alice@example.com");
    const bob = await passwordToken(first.url, "bob@example.com", "profile");
    const second = await restart();
    expect((await api(second.url, "/user", { token })).body).toMatchObject({ email: "alice@example.com" });
    expect((await api(second.url, "/user", { token: bob })).body).toMatchObject({ email: "bob@example.com" });
    expect((await api(second.url, "/flows", { token: bob })).status).toBe(403);
  });

  it("when a refresh token was issued before the restart, it can be exchanged after it", async () => {
    const first = await start();
    const res = await api(first.url, "/oauth/token", { method: "POST", body: {
      grant_type: "password", username: "alice@example.com", password: "flowdock", scope: "flow profile offline_access",
      client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret,
    } });
    const refreshToken = (res.body as { refresh_token: string }).refresh_token;
    expect(refreshToken).toEqual(expect.any(String));
    const second = await restart();
    const refreshed = await api(second.url, "/oauth/token", { method: "POST", body: {
      grant_type: "refresh_token", refresh_token: refreshToken, client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret,
    } });
    expect(refreshed.status).toBe(200);
    const accessToken = (refreshed.body as { access_token: string }).access_token;
    expect((await api(second.url, "/user", { token: accessToken })).body).toMatchObject({ email: "alice@example.com" });
  });

  it("when a post after the restart names a thread from before it, it updates that thread and appends to it", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    await post(first.url, source.flow_token, { title: "opened" });
    const [before] = (await api(first.url, "/flows/acme/main/threads", { token: userToken })).body as Thread[];

    const second = await restart();
    expect((await post(second.url, source.flow_token, { title: "closed", thread: { title: "Item 1 (done)", status: { color: "red", value: "closed" } } })).status).toBe(202);
    const threads = (await api(second.url, "/flows/acme/main/threads", { token: userToken })).body as Thread[];
    expect(threads).toHaveLength(1);
    expect(threads[0]).toMatchObject({ id: before!.id, title: "Item 1 (done)", status: { color: "red", value: "closed" } });
    const inThread = (await api(second.url, `/flows/acme/main/threads/${before!.id}/messages`, { token: userToken })).body as Message[];
    expect(inThread.map((m) => m.title)).toEqual(["opened", "closed"]);
  });

  it("when a post after the restart bumps an older thread, that thread comes first again", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    for (const id of ["a", "b", "c"]) await post(first.url, source.flow_token, { external_thread_id: id, thread: { title: id.toUpperCase() } });

    const second = await restart();
    await post(second.url, source.flow_token, { external_thread_id: "a", thread: { title: "A" } });
    const threads = (await api(second.url, "/flows/acme/main/threads", { token: userToken })).body as Thread[];
    expect(threads.map((t) => t.title)).toEqual(["A", "C", "B"]);
  });

  it("when a post is retried with the same uuid after the restart, it is still stored once", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    await post(first.url, source.flow_token, { uuid: "retried" });
    const second = await restart();
    expect((await post(second.url, source.flow_token, { uuid: "retried" })).status).toBe(202);
    const messages = (await api(second.url, "/flows/acme/main/messages", { token: userToken })).body as Message[];
    expect(messages.map((m) => m.uuid)).toEqual(["retried"]);
  });

  it("when a source was updated before the restart, the update is kept", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    await api(first.url, `/sources?flow_token=${source.flow_token}`, { method: "PUT", body: { configuration_url: "http://app.test/configure/1", error_message: "Broken since 9:00" } });
    const second = await restart();
    expect((await api(second.url, `/flows/acme/main/sources/${source.id}`, { token: userToken })).body).toMatchObject({ configuration_url: "http://app.test/configure/1", error_message: "Broken since 9:00" });
  });

  it("when a source was deleted before the restart, its flow token still gets 410 Gone after it", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    await api(first.url, `/flows/acme/main/sources/${source.id}`, { method: "DELETE", token: userToken });
    const second = await restart();
    expect((await post(second.url, source.flow_token)).status).toBe(410);
    expect((await api(second.url, "/flows/acme/main/sources", { token: userToken })).body).toEqual([]);
  });

  it("when sources are created after the restart, their ids do not reuse those from before", async () => {
    const first = await start();
    const { source: a, userToken } = await createSource(first.url, "A");
    await api(first.url, `/flows/acme/main/sources/${a.id}`, { method: "DELETE", token: userToken });
    const second = await restart();
    const { source: b } = await createSource(second.url, "B");
    expect(b.id).toBeGreaterThan(a.id);
    expect((await post(second.url, a.flow_token)).status).toBe(410);
    expect((await post(second.url, b.flow_token)).status).toBe(202);
  });

  it("when the simulator restarts on a new port, the URLs it answers follow its new address", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    const second = await restart();
    const got = (await api(second.url, `/flows/acme/main/sources/${source.id}`, { token: userToken })).body as Source;
    expect(got.url).toBe(`${second.url}/flows/acme/main/sources/${source.id}`);
    expect((await api(second.url, "/flows/acme/main", { token: userToken })).body).toMatchObject({ url: `${second.url}/flows/acme/main` });
  });

  it("when the database file's folder does not exist yet, it is created", async () => {
    databasePath = path.join(dir, "nested", "deeper", "flowdock.db");
    const fd = await start();
    await createSource(fd.url);
    expect(fs.existsSync(databasePath)).toBe(true);
  });
});

describe("the seed across restarts", () => {
  it("when the app's base URL changes between starts, the seeded application's callback, setup and configuration URIs follow", async () => {
    const first = await start();
    const { source, userToken } = await createSource(first.url);
    const before = first.store.applications.byClientId(TEST_CLIENT.clientId)!;
    expect(before.callback_uri).toBe(`${APP_BASE_URL}/auth/flowdock/callback`);

    const moved = "http://app.example:8080";
    const second = await restart({ integration: integration(moved) });
    const app = second.store.applications.byClientId(TEST_CLIENT.clientId)!;
    expect(app.id).toBe(before.id);
    expect(app).toMatchObject({
      callback_uri: `${moved}/auth/flowdock/callback`, setup_uri: `${moved}/flowdock/setup`,
      configuration_uri: `${moved}/flowdock/configure`, icon_url: `${moved}/assets/icon.svg`,
    });
    // What the REST API shows of the application follows as well.
    const got = (await api(second.url, `/flows/acme/main/sources/${source.id}`, { token: userToken })).body as Source;
    expect(got.application).toMatchObject({ name: "Tracker", configuration_uri: `${moved}/flowdock/configure`, icon_url: `${moved}/assets/icon.svg` });
  });

  it("when the application's name and secret change between starts, the new secret works and the old one does not", async () => {
    await start();
    const second = await restart({ integration: integration(APP_BASE_URL, { name: "Tracker (staging)", clientSecret: "a-new-secret-0123456789" }) });
    const grant = (secret: string) => api(second.url, "/oauth/token", { method: "POST", body: {
      grant_type: "password", username: "alice@example.com", password: "flowdock", scope: "flow integration", client_id: TEST_CLIENT.clientId, client_secret: secret,
    } });
    expect((await grant(TEST_CLIENT.clientSecret)).status).toBe(401);
    const ok = await grant("a-new-secret-0123456789");
    expect(ok.status).toBe(200);
    const token = (ok.body as { access_token: string }).access_token;
    const created = await api(second.url, "/flows/acme/main/sources", { method: "POST", token, body: { name: "Staging" } });
    expect((created.body as Source).application.name).toBe("Tracker (staging)");
  });

  it("when the simulator starts three times, the organization, people, flows and application exist once each", async () => {
    const first = await start();
    const seeded = { organizations: count(first, "organizations"), users: count(first, "users"), flows: count(first, "flows"), applications: count(first, "applications"), flow_members: count(first, "flow_members") };
    expect(seeded).toEqual({ organizations: 1, users: 2, flows: 2, applications: 1, flow_members: 3 });
    await restart({ integration: integration("http://one.example") });
    const third = await restart({ integration: integration("http://two.example") });
    expect({ organizations: count(third, "organizations"), users: count(third, "users"), flows: count(third, "flows"), applications: count(third, "applications"), flow_members: count(third, "flow_members") }).toEqual(seeded);
    // Over HTTP: the same two flows, each with its people once.
    const token = await passwordToken(third.url, "alice@example.com");
    const flows = (await api(third.url, "/flows", { token })).body as { parameterized_name: string; users: unknown[]; organization: { user_count: number } }[];
    expect(flows.map((f) => [f.parameterized_name, f.users.length, f.organization.user_count])).toEqual([["main", 2, 2], ["support", 1, 2]]);
  });

  it("when the simulator restarts, the flows keep their ids, so stored flow ids stay valid", async () => {
    const first = await start();
    const token = await passwordToken(first.url, "alice@example.com");
    const main = (await api(first.url, "/flows/acme/main", { token })).body as { id: string };
    const second = await restart();
    const found = await api(second.url, `/flows/find?id=${main.id}`, { token });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id: main.id, parameterized_name: "main" });
  });

  it("when the store was reset through the control API, a restart finds the seed once, not twice", async () => {
    const first = await start();
    await createSource(first.url);
    expect((await api(first.url, "/_simulator/reset", { method: "POST" })).status).toBe(200);
    const second = await restart();
    expect(count(second, "users")).toBe(2);
    expect(count(second, "applications")).toBe(1);
    expect(count(second, "sources")).toBe(0);
    const token = await passwordToken(second.url, "alice@example.com");
    expect((await api(second.url, "/flows/acme/main/sources", { token })).body).toEqual([]);
  });
});
