// The demo data: the story's people exist after seeding, and seeding again, or
// on a database an earlier version seeded, only adds what is missing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { seedDemoData, DEMO_ADMIN, DEMO_MEMBER, DEMO_USER } from "../../src/demo-seed.ts";
import { signIn } from "../support/people.ts";

let app: TestApp;
beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
afterEach(async () => { await app.close(); });

async function snapshot() {
  const users = await app.db.user.findMany({ orderBy: { email: "asc" }, select: { id: true, email: true, passwordHash: true, isSiteAdmin: true } });
  const memberships = await app.db.membership.findMany({ orderBy: [{ projectId: "asc" }, { userId: "asc" }] });
  const projects = await app.db.project.findMany({ orderBy: { id: "asc" } });
  return { users, memberships, projects };
}

describe("demo data", () => {
  it("when seeded, Website has its owner and a second member, and a separate site administrator exists; every account signs in", async () => {
    const website = await app.db.project.findFirstOrThrow({ where: { name: "Website" }, include: { memberships: { include: { user: true } } } });
    expect(website.memberships.map((m) => [m.user.email, m.role]).sort()).toEqual([[DEMO_USER.email, "owner"], [DEMO_MEMBER.email, "member"]]);
    const admin = await app.db.user.findUniqueOrThrow({ where: { email: DEMO_ADMIN.email }, include: { memberships: true } });
    expect(admin.isSiteAdmin).toBe(true);
    expect(admin.memberships).toEqual([]);
    expect(await app.db.user.count({ where: { isSiteAdmin: true } })).toBe(1);
    for (const who of [DEMO_USER, DEMO_MEMBER, DEMO_ADMIN]) await signIn(app, who);
  });

  it("when seeding runs again, nothing is added or changed", async () => {
    const before = await snapshot();
    expect(await seedDemoData(app.db)).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("when the database was seeded before the second member and the administrator existed, they are added and Sam joins the existing Website", async () => {
    await app.db.user.deleteMany({ where: { email: { in: [DEMO_MEMBER.email, DEMO_ADMIN.email] } } });
    const website = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
    expect(await seedDemoData(app.db)).toEqual([DEMO_MEMBER.email, DEMO_ADMIN.email]);
    expect(await app.db.project.count()).toBe(1);
    const sam = await app.db.membership.findFirstOrThrow({ where: { user: { email: DEMO_MEMBER.email } } });
    expect([sam.projectId, sam.role]).toEqual([website.id, "member"]);
  });
});
