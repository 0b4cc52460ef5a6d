// Demo data for `npm start`: people to sign in as and a project to connect.
// Runs at every start and only adds what is missing, so it never overwrites:
// on a database seeded by an earlier version, the newer demo accounts appear.
import type { Database } from "./db/prisma-client.ts";
import { hashPassword } from "./crypto/password.ts";

export const DEMO_USER = { email: "demo@example.com", password: "demo", name: "Dana Demo" };
/** A second person in the demo project, so adding, removing and taking over can be tried. */
export const DEMO_MEMBER = { email: "sam@example.com", password: "demo", name: "Sam Member" };
/** The site administrator (disables accounts); in no project, so the roles stay apart. */
export const DEMO_ADMIN = { email: "admin@example.com", password: "demo", name: "Ada Admin" };
export const DEMO_PROJECT = "Website";

/** Adds whatever demo data is missing; answers what was added (empty: nothing). */
export async function seedDemoData(db: Database): Promise<string[]> {
  const added: string[] = [];
  const exists = async (email: string) => (await db.user.findUnique({ where: { email }, select: { id: true } })) !== null;

  if (!(await exists(DEMO_USER.email))) {
    await db.user.create({
      data: {
        ...account(DEMO_USER), passwordHash: await hashPassword(DEMO_USER.password),
        memberships: { create: { role: "owner", project: { create: { name: DEMO_PROJECT } } } },
      },
    });
    added.push(DEMO_USER.email);
  }
  if (!(await exists(DEMO_MEMBER.email))) {
    const website = await db.project.findFirst({ where: { name: DEMO_PROJECT, memberships: { some: { user: { email: DEMO_USER.email } } } }, select: { id: true } });
    await db.user.create({
      data: {
        ...account(DEMO_MEMBER), passwordHash: await hashPassword(DEMO_MEMBER.password),
        ...(website ? { memberships: { create: { role: "member", projectId: website.id } } } : {}),
      },
    });
    added.push(DEMO_MEMBER.email);
  }
  if (!(await exists(DEMO_ADMIN.email))) {
    await db.user.create({ data: { ...account(DEMO_ADMIN), passwordHash: await hashPassword(DEMO_ADMIN.password), isSiteAdmin: true } });
    added.push(DEMO_ADMIN.email);
  }
  return added;
}

function account(person: { email: string; name: string }) {
  return { email: person.email, name: person.name };
}
