// A project's people over HTTP: owners add by email, change roles and remove;
// anyone can leave; the project always keeps an owner; others are refused.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ADMIN, DANA, SAM, createAccount, flashOn, roleIn, signIn, userId, website } from "../support/people.ts";

let app: TestApp;
let projectId: string;
beforeEach(async () => {
  app = await startTestApp("http://127.0.0.1:9");
  projectId = (await website(app)).id;
});
afterEach(async () => { await app.close(); });

const members = () => `/projects/${projectId}/members`;

describe("project members", () => {
  it("when an owner adds an existing account by its email, the page confirms it and the person can open the project", async () => {
    const nina = await createAccount(app, "nina@example.com", "Nina New");
    const dana = await signIn(app, DANA);
    const res = await dana.post(members(), { email: "  Nina@Example.com ", role: "member" });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(members());
    const page = await dana.get(members());
    expect(flashOn(page.text)).toContain("Nina New (nina@example.com) was added to “Website” as a member.");
    expect(page.text).toContain("nina@example.com");
    expect(flashOn((await dana.get(members())).text)).toBeNull();

    const asNina = await signIn(app, nina);
    expect((await asNina.get(`/projects/${projectId}`)).status).toBe(200);
    expect(await roleIn(app, projectId, nina.email)).toBe("member");
  });

  it("when the email belongs to no account, or is not an email, the form comes back with the error and what was typed, and nobody is added", async () => {
    const dana = await signIn(app, DANA);
    const unknown = await dana.post(members(), { email: "nobody@example.com", role: "owner" });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain("No account uses this email");
    expect(unknown.text).toContain('value="nobody@example.com"');
    expect(unknown.text).toMatch(/<option value="owner" selected>/);

    const malformed = await dana.post(members(), { email: "not an email" });
    expect(malformed.status).toBe(400);
    expect(malformed.text).toContain("Enter an email address like name@example.com.");
    expect(malformed.text).toContain('value="not an email"');
    expect(await app.db.membership.count({ where: { projectId } })).toBe(2);
  });

  it("when the person is already in the project, adding them again is refused and their role is unchanged", async () => {
    const dana = await signIn(app, DANA);
    const res = await dana.post(members(), { email: SAM.email, role: "owner" });
    expect(res.status).toBe(409);
    expect(res.text).toContain("Sam Member is already in this project.");
    expect(await roleIn(app, projectId, SAM.email)).toBe("member");
  });

  it("when an owner makes a member an owner and back, each change is confirmed", async () => {
    const dana = await signIn(app, DANA);
    const sam = await userId(app, SAM.email);
    expect((await dana.post(`${members()}/${sam}/role`, { role: "owner" })).status).toBe(303);
    expect(flashOn((await dana.get(members())).text)).toBe("Sam Member is now an owner of “Website”.");
    expect(await roleIn(app, projectId, SAM.email)).toBe("owner");
    expect((await dana.post(`${members()}/${sam}/role`, { role: "member" })).status).toBe(303);
    expect(await roleIn(app, projectId, SAM.email)).toBe("member");
    const bad = await dana.post(`${members()}/${sam}/role`, { role: "king" });
    expect(bad.status).toBe(400);
    expect(await roleIn(app, projectId, SAM.email)).toBe("member");
  });

  it("when the only owner tries to demote themselves, remove themselves or leave, it is refused with the reason and they stay owner", async () => {
    const dana = await signIn(app, DANA);
    const me = await userId(app, DANA.email);
    const demote = await dana.post(`${members()}/${me}/role`, { role: "member" });
    expect(demote.status).toBe(409);
    expect(demote.text).toContain("needs at least one owner, and Dana Demo is the only one. Make someone else an owner first.");
    const remove = await dana.post(`${members()}/${me}/remove`);
    expect(remove.status).toBe(409);
    expect(remove.text).toContain("You are the only owner of “Website”");
    const leave = await dana.post(`/projects/${projectId}/leave`);
    expect(leave.status).toBe(409);
    expect(leave.text).toContain("Make someone else an owner before you leave, or delete the project.");
    expect(await roleIn(app, projectId, DANA.email)).toBe("owner");
  });

  it("when there is a second owner, the first can step down and leave, and the project keeps its other owner", async () => {
    const dana = await signIn(app, DANA);
    await dana.post(`${members()}/${await userId(app, SAM.email)}/role`, { role: "owner" }).expect(303);
    await dana.post(`${members()}/${await userId(app, DANA.email)}/role`, { role: "member" }).expect(303);
    const left = await dana.post(`/projects/${projectId}/leave`);
    expect(left.status).toBe(303);
    expect(left.headers.location).toBe("/projects");
    expect(flashOn((await dana.get("/projects")).text)).toBe("You left “Website”.");
    expect(await roleIn(app, projectId, DANA.email)).toBeNull();
    expect(await roleIn(app, projectId, SAM.email)).toBe("owner");
    expect((await dana.get(`/projects/${projectId}`)).status).toBe(404);
  });

  it("when a member leaves, they are out of the project and see it confirmed", async () => {
    const sam = await signIn(app, SAM);
    const res = await sam.post(`/projects/${projectId}/leave`);
    expect(res.status).toBe(303);
    expect(flashOn((await sam.get("/projects")).text)).toBe("You left “Website”.");
    expect(await roleIn(app, projectId, SAM.email)).toBeNull();
  });

  it("when an owner removes a member, the member loses access to the project at once", async () => {
    const dana = await signIn(app, DANA);
    const sam = await signIn(app, SAM);
    expect((await sam.get(`/projects/${projectId}/issues`)).status).toBe(200);
    expect((await dana.post(`${members()}/${await userId(app, SAM.email)}/remove`)).status).toBe(303);
    expect(flashOn((await dana.get(members())).text)).toBe("Sam Member was removed from “Website”.");
    expect((await sam.get(`/projects/${projectId}/issues`)).status).toBe(404);
  });

  it("when a member tries an owner's action, it is a 403 and nothing changes; a non-member gets a 404", async () => {
    await createAccount(app, "nina@example.com", "Nina New");
    const sam = await signIn(app, SAM);
    const dana = await userId(app, DANA.email);
    expect((await sam.post(members(), { email: "nina@example.com" })).status).toBe(403);
    expect((await sam.post(members(), { email: "broken" })).status).toBe(403);
    expect((await sam.post(`${members()}/${dana}/role`, { role: "member" })).status).toBe(403);
    expect((await sam.post(`${members()}/${await userId(app, SAM.email)}/role`, { role: "owner" })).status).toBe(403);
    expect((await sam.post(`${members()}/${dana}/remove`)).status).toBe(403);
    const page = await sam.get(members());
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("Add a person");

    const admin = await signIn(app, ADMIN);
    expect((await admin.get(members())).status).toBe(404);
    expect((await admin.post(members(), { email: ADMIN.email, role: "owner" })).status).toBe(404);
    expect((await admin.post(`${members()}/${dana}/remove`)).status).toBe(404);
    expect((await admin.post(`/projects/${projectId}/leave`)).status).toBe(404);

    const people = await app.db.membership.findMany({ where: { projectId }, include: { user: true }, orderBy: { role: "asc" } });
    expect(people.map((m) => [m.user.email, m.role])).toEqual([[SAM.email, "member"], [DANA.email, "owner"]]);
  });

  it("when a change comes without its CSRF token, it is refused and nothing changes", async () => {
    await createAccount(app, "nina@example.com", "Nina New");
    const dana = await signIn(app, DANA);
    const sam = await userId(app, SAM.email);
    expect((await dana.forge(members(), { email: "nina@example.com" })).status).toBe(403);
    expect((await dana.forge(`${members()}/${sam}/role`, { role: "owner" })).status).toBe(403);
    expect((await dana.forge(`${members()}/${sam}/remove`)).status).toBe(403);
    const asSam = await signIn(app, SAM);
    expect((await asSam.forge(`/projects/${projectId}/leave`)).status).toBe(403);
    expect(await app.db.membership.count({ where: { projectId } })).toBe(2);
    expect(await roleIn(app, projectId, SAM.email)).toBe("member");
  });

  it("when signed out, the people page sends the person to sign in", async () => {
    const { default: request } = await import("supertest");
    const res = await request(app.app).get(members()).redirects(0);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/sign-in");
  });
});
