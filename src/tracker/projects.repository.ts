// The example domain's projects and who belongs to them.
import type { Database, Tx } from "../db/prisma-client.ts";

export type Role = "owner" | "member";
export const ROLES = ["owner", "member"] as const satisfies readonly Role[];

export interface Project {
  id: string;
  name: string;
  createdAt: Date;
  /** Set while the project is archived: read-only, its integrations suspended. */
  archivedAt: Date | null;
}

export interface MemberProject extends Project {
  role: Role;
}

export interface Member {
  id: string;
  name: string;
  email: string;
  role: Role;
  /** Disabled by a site administrator: still in the project, but can't sign in. */
  disabled: boolean;
}

/** An integration that still posts from a project to a flow, as named to a person. */
export interface ConnectedFlow {
  id: string;
  sourceName: string;
  organizationName: string;
  flowName: string;
  /** The integration's configuration page, the same address Configure in Inbox Settings opens. */
  configurePath: string;
}

const CONNECTED = { id: true, sourceName: true, organizationName: true, flowName: true, sourceId: true, flowId: true } as const;

function toConnectedFlow(row: { id: string; sourceName: string; organizationName: string; flowName: string; sourceId: number; flowId: string }): ConnectedFlow {
  const query = new URLSearchParams({ integration_id: String(row.sourceId), flow: row.flowId });
  return { id: row.id, sourceName: row.sourceName, organizationName: row.organizationName, flowName: row.flowName, configurePath: `/flowdock/configure?${query}` };
}

const PROJECT = { id: true, name: true, createdAt: true, archivedAt: true } as const;

export function projectsRepository(db: Database) {
  return {
    async listForUser(userId: string): Promise<MemberProject[]> {
      const rows = await db.membership.findMany({
        where: { userId },
        include: { project: { select: PROJECT } },
        orderBy: { project: { name: "asc" } },
      });
      return rows.map((m) => ({ ...m.project, role: m.role as Role }));
    },
    /** The project if this user belongs to it; null otherwise (so non-members learn nothing). */
    async findForMember(projectId: string, userId: string, tx: Tx = db): Promise<MemberProject | null> {
      const m = await tx.membership.findUnique({ where: { userId_projectId: { userId, projectId } }, include: { project: { select: PROJECT } } });
      return m ? { ...m.project, role: m.role as Role } : null;
    },
    async members(projectId: string): Promise<Member[]> {
      const rows = await db.membership.findMany({ where: { projectId }, include: { user: { select: { id: true, name: true, email: true, disabledAt: true } } }, orderBy: { user: { name: "asc" } } });
      return rows.map(({ user: { disabledAt, ...user }, role }) => ({ ...user, role: role as Role, disabled: disabledAt !== null }));
    },
    /** The project's latest notices (e.g. an integration removed in Flowdock), newest first. */
    async notices(projectId: string, limit = 10): Promise<{ message: string; createdAt: Date }[]> {
      return db.projectNotice.findMany({ where: { projectId }, orderBy: { id: "desc" }, take: limit, select: { message: true, createdAt: true } });
    },
    async create(name: string, ownerId: string): Promise<Project> {
      return db.project.create({
        data: { name, memberships: { create: { userId: ownerId, role: "owner" } } },
        select: PROJECT,
      });
    },
    async setArchived(projectId: string, archived: boolean): Promise<void> {
      await db.project.update({ where: { id: projectId }, data: { archivedAt: archived ? new Date() : null } });
    },
    /** Integrations of the project, optionally only those a given person connected. */
    async connectedFlows(projectId: string, connectedBy?: string): Promise<ConnectedFlow[]> {
      const rows = await db.integration.findMany({
        where: { projectId, ...(connectedBy ? { createdByUserId: connectedBy } : {}) },
        select: CONNECTED,
        orderBy: { createdAt: "asc" },
      });
      return rows.map(toConnectedFlow);
    },
    async contentCounts(projectId: string): Promise<{ issues: number; members: number }> {
      const [issues, members] = await Promise.all([db.issue.count({ where: { projectId } }), db.membership.count({ where: { projectId } })]);
      return { issues, members };
    },
    /**
     * Deletes the project and everything in it, unless an integration still
     * posts from it: those are answered instead, so no source is left in a flow
     * that nothing posts to without the person knowing.
     */
    deleteUnlessConnected(projectId: string): Promise<{ deleted: true } | { deleted: false; connected: ConnectedFlow[] }> {
      return db.$transaction(async (tx) => {
        await lockProject(tx, projectId);
        const connected = await tx.integration.findMany({ where: { projectId }, select: CONNECTED, orderBy: { createdAt: "asc" } });
        if (connected.length) return { deleted: false as const, connected: connected.map(toConnectedFlow) };
        await tx.project.delete({ where: { id: projectId } });
        return { deleted: true as const };
      });
    },
  };
}

export type ProjectsRepository = ReturnType<typeof projectsRepository>;

/**
 * Serializes changes to one project's people (and its deletion) by writing its
 * row first: two owners demoting each other at once must not leave the project
 * without an owner, on PostgreSQL's READ COMMITTED as on SQLite.
 */
export async function lockProject(tx: Tx, projectId: string): Promise<void> {
  await tx.project.update({ where: { id: projectId }, data: { lastIssueNumber: { increment: 0 } } });
}
