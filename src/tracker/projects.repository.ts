// The example domain's projects and who belongs to them.
import type { Database } from "../db/prisma-client.ts";

export type Role = "owner" | "member";

export interface Project {
  id: string;
  name: string;
  createdAt: Date;
}

export interface MemberProject extends Project {
  role: Role;
}

export function projectsRepository(db: Database) {
  return {
    async listForUser(userId: string): Promise<MemberProject[]> {
      const rows = await db.membership.findMany({
        where: { userId },
        include: { project: true },
        orderBy: { project: { name: "asc" } },
      });
      return rows.map((m) => ({ id: m.project.id, name: m.project.name, createdAt: m.project.createdAt, role: m.role as Role }));
    },
    /** The project if this user belongs to it; null otherwise (so non-members learn nothing). */
    async findForMember(projectId: string, userId: string): Promise<MemberProject | null> {
      const m = await db.membership.findUnique({ where: { userId_projectId: { userId, projectId } }, include: { project: true } });
      return m ? { id: m.project.id, name: m.project.name, createdAt: m.project.createdAt, role: m.role as Role } : null;
    },
    async members(projectId: string): Promise<{ id: string; name: string; email: string; role: Role }[]> {
      const rows = await db.membership.findMany({ where: { projectId }, include: { user: { select: { id: true, name: true, email: true } } }, orderBy: { user: { name: "asc" } } });
      return rows.map((m) => ({ ...m.user, role: m.role as Role }));
    },
    /** The project's latest notices (e.g. an integration removed in Flowdock), newest first. */
    async notices(projectId: string, limit = 10): Promise<{ message: string; createdAt: Date }[]> {
      return db.projectNotice.findMany({ where: { projectId }, orderBy: { id: "desc" }, take: limit, select: { message: true, createdAt: true } });
    },
    async create(name: string, ownerId: string): Promise<Project> {
      return db.project.create({
        data: { name, memberships: { create: { userId: ownerId, role: "owner" } } },
        select: { id: true, name: true, createdAt: true },
      });
    },
  };
}

export type ProjectsRepository = ReturnType<typeof projectsRepository>;
