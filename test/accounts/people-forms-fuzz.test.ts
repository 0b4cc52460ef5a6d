// Random fields on the people, project settings, account and admin forms never
// get a 5xx (fast-check), whoever sends them.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ADMIN, DANA, SAM, signIn, userId, website } from "../support/people.ts";

let app: TestApp;
beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
afterEach(async () => { await app.close(); });

describe("people and account forms under random input", () => {
  it("when the forms get arbitrary fields, from an owner, a member or the administrator, nothing answers 5xx", { timeout: 60_000 }, async () => {
    const projectId = (await website(app)).id;
    const sam = await userId(app, SAM.email);
    const people = [await signIn(app, DANA), await signIn(app, SAM), await signIn(app, ADMIN)];
    const fields = fc.dictionary(
      fc.constantFrom("email", "role", "name", "currentPassword", "newPassword", "confirmPassword", "password", "confirmName", "projectId", "newProjectName", "x"),
      fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom("owner", "member", "Website", "demo", "sam@example.com")),
      { maxKeys: 5 },
    );
    const paths = [
      `/projects/${projectId}/members`, `/projects/${projectId}/members/${sam}/role`, `/projects/${projectId}/members/${sam}/remove`,
      `/projects/${projectId}/members/nobody/role`, `/projects/${projectId}/archive`, `/projects/${projectId}/unarchive`,
      `/projects/${projectId}/delete`, "/account/name", "/account/password", `/admin/accounts/${sam}/disable`, `/admin/accounts/${sam}/enable`,
    ];
    await fc.assert(fc.asyncProperty(fc.nat(people.length - 1), fc.constantFrom(...paths), fields, async (who, path, body) => {
      const res = await people[who]!.post(path, body);
      expect(res.status).toBeLessThan(500);
    }), { numRuns: 150 });
    // A random run may delete the project outright ("Website" typed to confirm);
    // while it exists it always keeps an owner.
    const stillThere = await app.db.project.count({ where: { id: projectId } });
    const owners = await app.db.membership.count({ where: { projectId, role: "owner" } });
    expect(owners).toBeGreaterThanOrEqual(stillThere);
  });
});
