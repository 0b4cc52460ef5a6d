// Demo data for `npm start`: a person to sign in as and a project to connect.
// Runs at every start and only adds what is missing, so it never overwrites.
import type { Database } from "./db/prisma-client.ts";
import { hashPassword } from "./crypto/password.ts";

export const DEMO_USER = { email: "demo@example.com", password: "demo", name: "Dana Demo" };
export const DEMO_PROJECT = "Website";

export async function seedDemoData(db: Database): Promise<boolean> {
  if (await db.user.findUnique({ where: { email: DEMO_USER.email }, select: { id: true } })) return false;
  await db.user.create({
    data: {
      email: DEMO_USER.email,
      name: DEMO_USER.name,
      passwordHash: await hashPassword(DEMO_USER.password),
      memberships: { create: { role: "owner", project: { create: { name: DEMO_PROJECT } } } },
    },
  });
  return true;
}
