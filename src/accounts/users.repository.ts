// Our own user accounts. Returns plain objects; the password hash never leaves
// this file except to the sign-in check.
import type { Database } from "../db/prisma-client.ts";

export interface User {
  id: string;
  email: string;
  name: string;
}

const PUBLIC = { id: true, email: true, name: true } as const;

export function usersRepository(db: Database) {
  return {
    findById(id: string): Promise<User | null> {
      return db.user.findUnique({ where: { id }, select: PUBLIC });
    },
    findCredentials(email: string): Promise<(User & { passwordHash: string }) | null> {
      return db.user.findUnique({ where: { email: normalizeEmail(email) }, select: { ...PUBLIC, passwordHash: true } });
    },
    async create(input: { email: string; name: string; passwordHash: string }): Promise<User | "email-taken"> {
      const email = normalizeEmail(input.email);
      if (await db.user.findUnique({ where: { email }, select: { id: true } })) return "email-taken";
      return db.user.create({ data: { ...input, email }, select: PUBLIC });
    },
  };
}

export type UsersRepository = ReturnType<typeof usersRepository>;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
