// Our own user accounts. Returns plain objects; the password hash never leaves
// this file except to the sign-in and password checks.
import { directSql, type Database, type Tx } from "../db/prisma-client.ts";
import { sqlDialect } from "../db/direct-sql.ts";
import type { DatabaseKind } from "../db/database-url.ts";
import { lockProject } from "../tracker/projects.repository.ts";

export interface User {
  id: string;
  email: string;
  name: string;
}

/** The person behind a live session: also whether they administer the site. */
export interface SignedInUser extends User {
  isSiteAdmin: boolean;
}

export interface AccountSummary extends SignedInUser {
  disabledAt: Date | null;
  createdAt: Date;
}

const signedInSql = (kind: DatabaseKind) =>
  `SELECT "id", "email", "name", "isSiteAdmin" FROM "User" WHERE "id" = ${sqlDialect(kind).param(1)} AND "disabledAt" IS NULL AND "deletedAt" IS NULL`;

const PUBLIC = { id: true, email: true, name: true } as const;
const LIVE = { disabledAt: null, deletedAt: null } as const;

/** What a deleted account is shown as, wherever its issues and comments appear. */
export const DELETED_ACCOUNT_NAME = "A deleted account";

export function usersRepository(db: Database) {
  return {
    findById(id: string): Promise<User | null> {
      return db.user.findUnique({ where: { id }, select: PUBLIC });
    },
    /** Only an account that may still act: not disabled, not deleted. */
    // Every signed-in page asks: straight to the driver (see direct-sql.ts).
    async findSignedIn(id: string): Promise<SignedInUser | null> {
      const sql = await directSql(db);
      const { rows: [row] } = await sql.run({ sql: signedInSql(sql.kind), params: [id] });
      return row ? { id: String(row.id), email: String(row.email), name: String(row.name), isSiteAdmin: Boolean(row.isSiteAdmin) } : null;
    },
    findByEmail(email: string): Promise<User | null> {
      return db.user.findFirst({ where: { email: normalizeEmail(email), deletedAt: null }, select: PUBLIC });
    },
    findCredentials(email: string): Promise<(User & { passwordHash: string; disabled: boolean }) | null> {
      return db.user.findFirst({ where: { email: normalizeEmail(email), deletedAt: null }, select: { ...PUBLIC, passwordHash: true, disabledAt: true } })
        .then((row) => row && { id: row.id, email: row.email, name: row.name, passwordHash: row.passwordHash, disabled: row.disabledAt !== null });
    },
    async passwordHashOf(id: string): Promise<string | null> {
      const row = await db.user.findFirst({ where: { id, ...LIVE }, select: { passwordHash: true } });
      return row?.passwordHash ?? null;
    },
    async create(input: { email: string; name: string; passwordHash: string }): Promise<User | "email-taken"> {
      const email = normalizeEmail(input.email);
      if (await db.user.findUnique({ where: { email }, select: { id: true } })) return "email-taken";
      return db.user.create({ data: { ...input, email }, select: PUBLIC });
    },
    rename(id: string, name: string): Promise<User> {
      return db.user.update({ where: { id }, data: { name }, select: PUBLIC });
    },
    /**
     * Sets a new password and ends the account's other sessions, so whoever
     * knew the old one is signed out too. Sessions hold passport's
     * {"passport":{"user":"<id>"}}; ids are cuids, so the match is exact.
     */
    async setPasswordHash(id: string, passwordHash: string, keepSessionId: string): Promise<void> {
      await db.$transaction([
        db.user.update({ where: { id }, data: { passwordHash } }),
        db.session.deleteMany({ where: { data: { contains: `"user":${JSON.stringify(id)}` }, sid: { not: keepSessionId } } }),
      ]);
    },
    /** Accounts for the site administrator's page, optionally matching a search; deleted ones are gone. */
    list(search: string, limit: number): Promise<AccountSummary[]> {
      const q = search.trim();
      return db.user.findMany({
        where: { deletedAt: null, ...(q ? { OR: [{ email: { contains: q.toLowerCase() } }, { name: { contains: q } }] } : {}) },
        select: { ...PUBLIC, isSiteAdmin: true, disabledAt: true, createdAt: true },
        orderBy: { email: "asc" },
        take: limit,
      });
    },
    /** Disables or re-enables a live account; false when there is no such account. */
    async setDisabled(id: string, disabled: boolean): Promise<User | null> {
      const { count } = await db.user.updateMany({ where: { id, deletedAt: null }, data: { disabledAt: disabled ? new Date() : null } });
      return count ? db.user.findUnique({ where: { id }, select: PUBLIC }) : null;
    },
    /**
     * Deletes the account unless it is the only owner of a project (those are
     * answered instead). Checked with each project locked, so an owner leaving
     * at the same moment can't leave a project without any.
     */
    deleteUnlessSoleOwner(id: string): Promise<{ deleted: true } | { deleted: false; soleOwnerOf: { id: string; name: string }[] }> {
      return db.$transaction(async (tx) => {
        const owned = await tx.membership.findMany({ where: { userId: id, role: "owner" }, select: { project: { select: { id: true, name: true } } } });
        const soleOwnerOf: { id: string; name: string }[] = [];
        for (const { project } of owned) {
          await lockProject(tx, project.id);
          if ((await tx.membership.count({ where: { projectId: project.id, role: "owner", userId: { not: id } } })) === 0) soleOwnerOf.push(project);
        }
        if (soleOwnerOf.length) return { deleted: false as const, soleOwnerOf };
        await scrub(tx, id);
        return { deleted: true as const };
      });
    },
  };
}

/**
 * Turns the account into a tombstone: the row keeps its id (issues and
 * comments still point at it) but nothing that identifies the person or lets
 * anyone sign in as them. Their sessions end on the next request, as the
 * account no longer counts as signed in.
 */
async function scrub(tx: Tx, id: string): Promise<void> {
  await tx.membership.deleteMany({ where: { userId: id } });
  // Flowdock actions can no longer act as this account.
  await tx.flowdockLink.deleteMany({ where: { userId: id } });
  // Nobody can work on an issue for a deleted account.
  await tx.issue.updateMany({ where: { assigneeId: id }, data: { assigneeId: null } });
  await tx.user.update({
    where: { id },
    data: { deletedAt: new Date(), email: `deleted-${id}@accounts.invalid`, name: DELETED_ACCOUNT_NAME, passwordHash: "deleted", isSiteAdmin: false },
  });
}

export type UsersRepository = ReturnType<typeof usersRepository>;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
