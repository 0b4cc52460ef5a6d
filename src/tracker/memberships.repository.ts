// Changes to who belongs to a project, each in a transaction that keeps the
// project's one rule about people: it always has at least one owner.
import type { Database, Tx } from "../db/prisma-client.ts";
import { lockProject, type Role } from "./projects.repository.ts";

export type MembershipChange = "done" | "not-member" | "already-member" | "last-owner";

export function membershipsRepository(db: Database) {
  async function ownersLeftWithout(tx: Tx, projectId: string, userId: string): Promise<number> {
    return tx.membership.count({ where: { projectId, role: "owner", userId: { not: userId } } });
  }

  return {
    add(projectId: string, userId: string, role: Role): Promise<MembershipChange> {
      return db.$transaction(async (tx) => {
        await lockProject(tx, projectId);
        if (await tx.membership.findUnique({ where: { userId_projectId: { userId, projectId } } })) return "already-member";
        await tx.membership.create({ data: { projectId, userId, role } });
        return "done";
      });
    },
    changeRole(projectId: string, userId: string, role: Role): Promise<MembershipChange> {
      return db.$transaction(async (tx) => {
        await lockProject(tx, projectId);
        const current = await tx.membership.findUnique({ where: { userId_projectId: { userId, projectId } } });
        if (!current) return "not-member";
        if (current.role === "owner" && role !== "owner" && (await ownersLeftWithout(tx, projectId, userId)) === 0) return "last-owner";
        await tx.membership.update({ where: { userId_projectId: { userId, projectId } }, data: { role } });
        return "done";
      });
    },
    remove(projectId: string, userId: string): Promise<MembershipChange> {
      return db.$transaction(async (tx) => {
        await lockProject(tx, projectId);
        const current = await tx.membership.findUnique({ where: { userId_projectId: { userId, projectId } } });
        if (!current) return "not-member";
        if (current.role === "owner" && (await ownersLeftWithout(tx, projectId, userId)) === 0) return "last-owner";
        await tx.membership.delete({ where: { userId_projectId: { userId, projectId } } });
        return "done";
      });
    },
    /** Projects where this person is the only owner: they must hand them over before leaving the site. */
    async soleOwnerOf(userId: string): Promise<{ id: string; name: string }[]> {
      const owned = await db.membership.findMany({ where: { userId, role: "owner" }, select: { project: { select: { id: true, name: true } } } });
      const result: { id: string; name: string }[] = [];
      for (const { project } of owned) {
        if ((await db.membership.count({ where: { projectId: project.id, role: "owner" } })) === 1) result.push(project);
      }
      return result;
    },
  };
}

export type MembershipsRepository = ReturnType<typeof membershipsRepository>;
