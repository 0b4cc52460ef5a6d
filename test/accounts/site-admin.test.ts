// The site administrator disables and re-enables accounts: a disabled account
// can't sign in and its open sessions stop working; nobody else may do this.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { csrfFrom } from "../support/browser.ts";
import { ADMIN, DANA, SAM, flashOn, signIn, userId, website } from "../support/people.ts";

let app: TestApp;
beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
afterEach(async () => { await app.close(); });

async function trySignIn(email: string, password: string) {
  const agent = request.agent(app.app);
  const page = await agent.get("/sign-in");
  return agent.post("/sign-in").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email, password });
}

const disabledAt = async (email: string) => (await app.db.user.findUniqueOrThrow({ where: { email } })).disabledAt;

describe("disabling accounts", () => {
  it("when the administrator disables an account, its open session stops working and it can't sign in; enabled again, it can", async () => {
    const projectId = (await website(app)).id;
    const sam = await signIn(app, SAM);
    expect((await sam.get(`/projects/${projectId}`)).status).toBe(200);

    const admin = await signIn(app, ADMIN);
    const list = await admin.get("/admin/accounts");
    expect(list.status).toBe(200);
    expect(list.text).toContain(SAM.email);
    expect(list.text).toContain('<a href="/admin/accounts">Accounts (admin)</a>');
    const samId = await userId(app, SAM.email);
    expect((await admin.post(`/admin/accounts/${samId}/disable`)).status).toBe(303);
    const after = await admin.get("/admin/accounts");
    expect(flashOn(after.text)).toContain("Sam Member (sam@example.com) is disabled: they can no longer sign in");
    expect(after.text).toContain('<span class="badge bad">disabled</span>');

    const dana = await signIn(app, DANA);
    expect((await dana.get(`/projects/${projectId}/members`)).text).toMatch(/Sam Member <span class="badge bad">account disabled<\/span>/);

    const kicked = await sam.get(`/projects/${projectId}`);
    expect(kicked.status).toBe(303);
    expect(kicked.headers.location).toBe("/sign-in");
    const refused = await trySignIn(SAM.email, SAM.password);
    expect(refused.status).toBe(401);
    expect(refused.text).toContain("This account has been disabled by a site administrator");
    // A wrong password says nothing about the account being disabled.
    const guess = await trySignIn(SAM.email, "wrong password");
    expect(guess.text).not.toContain("disabled");

    expect((await admin.post(`/admin/accounts/${samId}/enable`)).status).toBe(303);
    expect(flashOn((await admin.get("/admin/accounts")).text)).toContain("can sign in again");
    expect(await disabledAt(SAM.email)).toBeNull();
    expect((await trySignIn(SAM.email, SAM.password)).status).toBe(303);
  });

  it("when someone who is not an administrator tries, they get a 403 and nothing changes; signed out, they are sent to sign in", async () => {
    const dana = await signIn(app, DANA);
    expect((await dana.get("/projects")).text).not.toContain("/admin/accounts");
    expect((await dana.get("/admin/accounts")).status).toBe(403);
    const res = await dana.post(`/admin/accounts/${await userId(app, SAM.email)}/disable`);
    expect(res.status).toBe(403);
    expect(res.text).toContain("Only a site administrator can manage accounts.");
    expect(await disabledAt(SAM.email)).toBeNull();
    const anonymous = await request(app.app).get("/admin/accounts").redirects(0);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe("/sign-in");
  });

  it("when the administrator tries to disable their own account, an unknown one, or posts without CSRF, nothing changes", async () => {
    const admin = await signIn(app, ADMIN);
    expect((await admin.post(`/admin/accounts/${await userId(app, ADMIN.email)}/disable`)).status).toBe(409);
    expect(await disabledAt(ADMIN.email)).toBeNull();
    expect((await admin.post("/admin/accounts/nobody/disable")).status).toBe(404);
    expect((await admin.forge(`/admin/accounts/${await userId(app, SAM.email)}/disable`)).status).toBe(403);
    expect(await disabledAt(SAM.email)).toBeNull();
  });

  it("when the administrator searches, only matching accounts are listed", async () => {
    const admin = await signIn(app, ADMIN);
    const res = await admin.get("/admin/accounts?q=sam");
    expect(res.text).toContain(SAM.email);
    expect(res.text).not.toContain(DANA.email);
  });
});
