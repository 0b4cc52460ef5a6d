// A person's own account over HTTP: their name, their password (the current
// one required), and deleting the account, which keeps what they wrote.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { csrfFrom } from "../support/browser.ts";
import { DANA, SAM, flashOn, roleIn, signIn, userId, website } from "../support/people.ts";

let app: TestApp;
beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
afterEach(async () => { await app.close(); });

async function trySignIn(email: string, password: string) {
  const agent = request.agent(app.app);
  const page = await agent.get("/sign-in");
  return agent.post("/sign-in").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email, password });
}

describe("account settings", () => {
  it("when a person changes their name, the header shows it and the page confirms it; a blank name comes back with the error", async () => {
    const sam = await signIn(app, SAM);
    expect((await sam.get("/projects")).text).toContain('<a href="/account">Account settings</a>');
    const blank = await sam.post("/account/name", { name: "   " });
    expect(blank.status).toBe(400);
    expect(blank.text).toContain("Enter your name");
    expect((await sam.post("/account/name", { name: "Samantha Member" })).status).toBe(303);
    const page = await sam.get("/account");
    expect(flashOn(page.text)).toBe("Your name is now “Samantha Member”.");
    expect(page.text).toContain('<span class="who">Samantha Member</span>');
    const long = await sam.post("/account/name", { name: "x".repeat(101) });
    expect(long.status).toBe(400);
    expect(long.text).toContain(`value="${"x".repeat(101)}"`);
  });

  it("when the current password is wrong or the new ones differ, the password stays; with the right one, only the new password signs in", async () => {
    const sam = await signIn(app, SAM);
    const wrong = await sam.post("/account/password", { currentPassword: "nope", newPassword: "new password 1", confirmPassword: "new password 1" });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("That is not your current password.");
    const differ = await sam.post("/account/password", { currentPassword: SAM.password, newPassword: "new password 1", confirmPassword: "new password 2" });
    expect(differ.status).toBe(400);
    expect(differ.text).toContain("The two new passwords are not the same.");
    const short = await sam.post("/account/password", { currentPassword: SAM.password, newPassword: "short", confirmPassword: "short" });
    expect(short.status).toBe(400);
    expect((await trySignIn(SAM.email, SAM.password)).status).toBe(303);

    expect((await sam.post("/account/password", { currentPassword: SAM.password, newPassword: "new password 1", confirmPassword: "new password 1" })).status).toBe(303);
    expect(flashOn((await sam.get("/account")).text)).toContain("Your password was changed, and you were signed out everywhere else.");
    expect((await trySignIn(SAM.email, SAM.password)).status).toBe(401);
    expect((await trySignIn(SAM.email, "new password 1")).status).toBe(303);
  });

  it("when the password is changed, the account's other sessions end and the one that changed it stays signed in", async () => {
    const sam = await signIn(app, SAM);
    const samElsewhere = await signIn(app, SAM);
    const dana = await signIn(app, DANA);
    await sam.post("/account/password", { currentPassword: SAM.password, newPassword: "new password 1", confirmPassword: "new password 1" }).expect(303);
    expect((await sam.get("/account")).status).toBe(200);
    const elsewhere = await samElsewhere.get("/account");
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.location).toBe("/sign-in");
    expect((await dana.get("/account")).status).toBe(200);
  });

  it("when someone keeps guessing the current password in the settings, they are stopped like at sign-in", async () => {
    await app.close();
    app = await startTestApp("http://127.0.0.1:9", { SIGN_IN_LIMIT_PER_ACCOUNT: "3/10m" });
    const sam = await signIn(app, SAM);
    const guess = (n: number) => sam.post("/account/password", { currentPassword: `guess ${n}`, newPassword: "new password 1", confirmPassword: "new password 1" });
    for (let n = 0; n < 3; n++) expect((await guess(n)).status).toBe(400);
    const stopped = await guess(3);
    expect(stopped.status).toBe(429);
    // The right password is refused too until the limit passes, and at sign-in as well.
    expect((await sam.post("/account/delete", { password: SAM.password })).status).toBe(429);
    expect((await trySignIn(SAM.email, SAM.password)).status).toBe(429);
    expect((await app.db.user.findUniqueOrThrow({ where: { email: SAM.email } })).deletedAt).toBeNull();
  });

  it("when a settings form comes without its CSRF token, it is refused and nothing changes", async () => {
    const sam = await signIn(app, SAM);
    expect((await sam.forge("/account/name", { name: "Forged" })).status).toBe(403);
    expect((await sam.forge("/account/password", { currentPassword: SAM.password, newPassword: "forged pass", confirmPassword: "forged pass" })).status).toBe(403);
    expect((await sam.forge("/account/delete", { password: SAM.password })).status).toBe(403);
    const user = await app.db.user.findUniqueOrThrow({ where: { email: SAM.email } });
    expect([user.name, user.deletedAt]).toEqual(["Sam Member", null]);
    expect((await trySignIn(SAM.email, SAM.password)).status).toBe(303);
  });
});

describe("deleting one's account", () => {
  it("when a member deletes their account, they are signed out, can't sign in, and their issues and comments stay as by a deleted account", async () => {
    const projectId = (await website(app)).id;
    const sam = await signIn(app, SAM);
    const samOnHisPhone = await signIn(app, SAM);
    await sam.post(`/projects/${projectId}/issues`, { title: "Written by Sam", assigneeId: await userId(app, SAM.email) }).expect(303);
    await sam.post(`/projects/${projectId}/issues/1/comments`, { body: "A comment by Sam" }).expect(303);

    const wrong = await sam.post("/account/delete", { password: "not it" });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("That is not your current password.");
    expect((await app.db.user.findUniqueOrThrow({ where: { email: SAM.email } })).deletedAt).toBeNull();

    const confirm = await sam.get("/account/delete");
    expect(confirm.text).toContain("Issues and comments you wrote stay");
    const done = await sam.post("/account/delete", { password: SAM.password });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("/");
    expect(flashOn((await sam.get("/")).text)).toContain("Your account was deleted.");
    // The same browser is signed out; the old session no longer opens anything.
    expect((await sam.get(`/projects/${projectId}`)).status).toBe(303);
    // So is every other session of the account.
    const elsewhere = await samOnHisPhone.get(`/projects/${projectId}`);
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.location).toBe("/sign-in");
    expect((await trySignIn(SAM.email, SAM.password)).status).toBe(401);

    const dana = await signIn(app, DANA);
    const issue = await dana.get(`/projects/${projectId}/issues/1`);
    expect(issue.text).toContain("<dt>Opened by</dt><dd>A deleted account,");
    expect(issue.text).toContain("<strong>A deleted account</strong>");
    expect(issue.text).toContain("A comment by Sam");
    expect(issue.text).toContain("<dt>Assignee</dt><dd>nobody</dd>");
    expect(issue.text).not.toContain("sam@example.com");
    expect(await roleIn(app, projectId, SAM.email)).toBeNull();
    expect(await app.db.membership.count({ where: { projectId } })).toBe(1);
  });

  it("when the email of a deleted account is used to sign up again, it makes a new, separate account", async () => {
    const sam = await signIn(app, SAM);
    const oldId = await userId(app, SAM.email);
    await sam.post("/account/delete", { password: SAM.password }).expect(303);
    const agent = request.agent(app.app);
    const form = await agent.get("/sign-up");
    const created = await agent.post("/sign-up").type("form").redirects(0).send({ _csrf: csrfFrom(form.text), name: "Sam Again", email: SAM.email, password: "another pass" });
    expect(created.status).toBe(303);
    expect(await userId(app, SAM.email)).not.toBe(oldId);
    expect((await agent.get(`/projects/${(await website(app)).id}`)).status).toBe(404);
  });

  it("when the person is the only owner of a project, deleting is refused until they hand it over", async () => {
    const projectId = (await website(app)).id;
    const dana = await signIn(app, DANA);
    const page = await dana.get("/account/delete");
    expect(page.text).toContain("You are the only owner of this project.");
    expect(page.text).toContain(`href="/projects/${projectId}/members"`);
    const refused = await dana.post("/account/delete", { password: DANA.password });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("Make someone else an owner, or delete the project, before you delete your account");
    expect((await app.db.user.findUniqueOrThrow({ where: { email: DANA.email } })).deletedAt).toBeNull();

    await dana.post(`/projects/${projectId}/members/${await userId(app, SAM.email)}/role`, { role: "owner" }).expect(303);
    expect((await dana.post("/account/delete", { password: DANA.password })).status).toBe(303);
    expect(await roleIn(app, projectId, SAM.email)).toBe("owner");
  });
});
