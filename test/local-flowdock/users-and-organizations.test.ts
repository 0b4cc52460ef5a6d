// Users and organizations as the hosted docs (users.md, organizations.md), with
// their visibility rules: Alice administers Acme; Bob is a member in Main only;
// Carol is in another organization altogether.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { basic } from "../support/flowdock-user.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let carolId: number;
let daveId: number;
beforeEach(async () => {
  fd = await startTestFlowdock();
  const { db } = fd.store;
  const alice = fd.store.directory.userByEmail("alice@example.com")!;
  const org = Number(db.prepare("INSERT INTO organizations (name, parameterized_name) VALUES ('Other Ltd', 'other')").run().lastInsertRowid);
  carolId = Number(db.prepare("INSERT INTO users (email, name, nick, password_hash) VALUES ('carol@example.com', 'Carol', 'Carol', ?)").run(alice.password_hash).lastInsertRowid);
  db.prepare("INSERT INTO organization_members (organization_id, user_id, admin) VALUES (?, ?, 1)").run(org, carolId);
  // Dave is in Acme but in no flow: only an Acme admin sees him in /users.
  daveId = Number(db.prepare("INSERT INTO users (email, name, nick, password_hash) VALUES ('dave@example.com', 'Dave', 'Dave', ?)").run(alice.password_hash).lastInsertRowid);
  db.prepare("INSERT INTO organization_members (organization_id, user_id, admin) SELECT id, ?, 0 FROM organizations WHERE parameterized_name = 'acme'").run(daveId);
});
afterEach(async () => { await fd.close(); });

const as = (email: string) => basic(email, "flowdock");
const emails = (body: unknown) => (body as { email: string }[]).map((u) => u.email).sort();

describe("GET /users", () => {
  it("when an organization admin asks, every user of that organization is listed, nobody from others", async () => {
    const res = await api(fd.url, "/users", { headers: as("alice@example.com") });
    expect(res.status).toBe(200);
    expect(emails(res.body)).toEqual(["alice@example.com", "bob@example.com", "dave@example.com"]);
    expect((res.body as Record<string, unknown>[])[0]).toEqual({ id: expect.any(Number), email: expect.any(String), name: expect.any(String), nick: expect.any(String), avatar: expect.anything(), website: null });
  });

  it("when a member who is no admin asks, only the people of their flows are listed", async () => {
    expect(emails((await api(fd.url, "/users", { headers: as("bob@example.com") })).body)).toEqual(["alice@example.com", "bob@example.com"]);
  });
});

describe("GET /users/:id", () => {
  it("when the user shares an organization, the user is shown", async () => {
    const res = await api(fd.url, `/users/${daveId}`, { headers: as("bob@example.com") });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: daveId, email: "dave@example.com", nick: "Dave" });
  });

  it("when the user is in no shared organization, or no user has that id, the answer is 404", async () => {
    expect((await api(fd.url, `/users/${carolId}`, { headers: as("alice@example.com") })).status).toBe(404);
    expect((await api(fd.url, "/users/99999", { headers: as("alice@example.com") })).status).toBe(404);
    expect((await api(fd.url, "/users/abc", { headers: as("alice@example.com") })).status).toBe(404);
  });

  it("when nobody is authenticated, the answer is 401", async () => {
    expect((await api(fd.url, `/users/${daveId}`)).status).toBe(401);
  });
});

describe("GET /flows/:org/:flow/users", () => {
  it("when the caller can see the flow, its members are listed", async () => {
    const res = await api(fd.url, "/flows/acme/main/users", { headers: as("bob@example.com") });
    expect(res.status).toBe(200);
    expect(emails(res.body)).toEqual(["alice@example.com", "bob@example.com"]);
  });

  it("when the caller can't see the flow, or it doesn't exist, the answer is 404", async () => {
    expect((await api(fd.url, "/flows/acme/support/users", { headers: as("bob@example.com") })).status).toBe(404);
    expect((await api(fd.url, "/flows/acme/nope/users", { headers: as("alice@example.com") })).status).toBe(404);
  });
});

describe("organizations", () => {
  it("when listed, the caller's organizations come with their users and admin flags", async () => {
    const res = await api(fd.url, "/organizations", { headers: as("bob@example.com") });
    expect(res.status).toBe(200);
    const [acme, ...rest] = res.body as Record<string, unknown>[];
    expect(rest).toEqual([]);
    expect(acme).toMatchObject({
      parameterized_name: "acme", name: "Acme Inc", user_limit: 50, user_count: 3, active: true,
      url: `${fd.url}/organizations/acme`, subscription: { trial: false },
    });
    expect(acme!.users).toContainEqual({ id: expect.any(Number), name: "Alice Anders", email: "alice@example.com", admin: true });
  });

  it("when asked by parameterized name or by id, a member gets it and anybody else 404", async () => {
    const acme = (await api(fd.url, "/organizations/acme", { headers: as("bob@example.com") })).body as { id: number };
    expect(acme).toMatchObject({ parameterized_name: "acme" });
    expect((await api(fd.url, `/organizations/find?id=${acme.id}`, { headers: as("bob@example.com") })).body).toEqual(acme);
    expect((await api(fd.url, "/organizations/acme", { headers: as("carol@example.com") })).status).toBe(404);
    expect((await api(fd.url, `/organizations/find?id=${acme.id}`, { headers: as("carol@example.com") })).status).toBe(404);
    expect((await api(fd.url, "/organizations/nope", { headers: as("bob@example.com") })).status).toBe(404);
  });

  it("when find has no numeric id, the answer is a 400 validation error", async () => {
    const res = await api(fd.url, "/organizations/find?id=x", { headers: as("bob@example.com") });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: "Validation error", errors: { id: [expect.any(String)] } });
  });

  it("when an organization's users are listed, each carries admin", async () => {
    const res = await api(fd.url, "/organizations/acme/users", { headers: as("bob@example.com") });
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual(expect.objectContaining({ email: "alice@example.com", admin: true }));
    expect(res.body).toContainEqual(expect.objectContaining({ email: "bob@example.com", admin: false }));
  });
});
