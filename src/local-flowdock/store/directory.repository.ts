// Organizations, users and flows: who can see what.
import type { SqliteDatabase } from "./database.ts";

export interface OrganizationRow { id: number; name: string; parameterized_name: string; user_limit: number; active: number }
export interface UserRow { id: number; email: string; name: string; nick: string; password_hash: string; avatar: string | null; website: string | null }
export interface FlowRow { id: string; organization_id: number; name: string; parameterized_name: string; access_mode: string; open: number }
export interface FlowWithOrganization extends FlowRow { organization: OrganizationRow }

export function directoryRepository(db: SqliteDatabase) {
  const organizationById = db.prepare<[number], OrganizationRow>("SELECT * FROM organizations WHERE id = ?");
  const visibleFlowIds = db.prepare<{ user: number }, { id: string }>(`
    SELECT f.id FROM flows f
    WHERE EXISTS (SELECT 1 FROM flow_members fm WHERE fm.flow_id = f.id AND fm.user_id = @user)
       OR (f.access_mode = 'organization' AND EXISTS (
             SELECT 1 FROM organization_members om WHERE om.organization_id = f.organization_id AND om.user_id = @user))
    ORDER BY f.organization_id, f.name`);

  const withOrganization = (flow: FlowRow | undefined): FlowWithOrganization | undefined =>
    flow && { ...flow, organization: organizationById.get(flow.organization_id)! };

  return {
    organizationById: (id: number) => organizationById.get(id),
    userById: (id: number) => db.prepare<[number], UserRow>("SELECT * FROM users WHERE id = ?").get(id),
    userByEmail: (email: string) => db.prepare<[string], UserRow>("SELECT * FROM users WHERE email = ? COLLATE NOCASE").get(email),
    organizationByName: (name: string) => db.prepare<[string], OrganizationRow>("SELECT * FROM organizations WHERE parameterized_name = ?").get(name),
    organizationUserCount: (id: number) =>
      (db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM organization_members WHERE organization_id = ?").get(id))!.n,
    isOrganizationAdmin: (organizationId: number, userId: number) =>
      Boolean(db.prepare("SELECT 1 FROM organization_members WHERE organization_id = ? AND user_id = ? AND admin = 1").get(organizationId, userId)),
    flowById: (id: string) => withOrganization(db.prepare<[string], FlowRow>("SELECT * FROM flows WHERE id = ?").get(id)),
    flowByPath: (organization: string, flow: string) =>
      withOrganization(
        db.prepare<[string, string], FlowRow>(`
          SELECT f.* FROM flows f JOIN organizations o ON o.id = f.organization_id
          WHERE o.parameterized_name = ? AND f.parameterized_name = ?`).get(organization, flow),
      ),
    flowMembers: (flowId: string) =>
      db.prepare<[string], UserRow>(`
        SELECT u.* FROM users u JOIN flow_members fm ON fm.user_id = u.id WHERE fm.flow_id = ? ORDER BY u.id`).all(flowId),
    allFlows(): FlowWithOrganization[] {
      return db.prepare<[], FlowRow>("SELECT * FROM flows ORDER BY organization_id, name").all().map((f) => withOrganization(f)!);
    },
    visibleFlows(userId: number): FlowWithOrganization[] {
      return visibleFlowIds.all({ user: userId }).map(({ id }) => this.flowById(id)!);
    },
    canSee(userId: number, flowId: string): boolean {
      return visibleFlowIds.all({ user: userId }).some((f) => f.id === flowId);
    },
    organizationsOf: (userId: number) =>
      db.prepare<[number], OrganizationRow>(`
        SELECT o.* FROM organizations o JOIN organization_members om ON om.organization_id = o.id
        WHERE om.user_id = ? ORDER BY o.name`).all(userId),
    isOrganizationMember: (organizationId: number, userId: number) =>
      Boolean(db.prepare("SELECT 1 FROM organization_members WHERE organization_id = ? AND user_id = ?").get(organizationId, userId)),
    organizationMembers: (organizationId: number) =>
      db.prepare<[number], UserRow & { admin: number }>(`
        SELECT u.*, om.admin FROM users u JOIN organization_members om ON om.user_id = u.id
        WHERE om.organization_id = ? ORDER BY u.id`).all(organizationId),
    /** As the docs: every user of the organizations the user administers, and the users of the flows they are in. */
    visibleUsers: (userId: number) =>
      db.prepare<{ user: number }, UserRow>(`
        SELECT u.* FROM users u WHERE u.id = @user
           OR u.id IN (SELECT om.user_id FROM organization_members om JOIN organization_members me
                       ON me.organization_id = om.organization_id AND me.user_id = @user AND me.admin = 1)
           OR u.id IN (SELECT fm.user_id FROM flow_members fm JOIN flow_members mine
                       ON mine.flow_id = fm.flow_id AND mine.user_id = @user)
        ORDER BY u.id`).all({ user: userId }),
    sharesOrganization: (a: number, b: number) =>
      Boolean(db.prepare(`SELECT 1 FROM organization_members x JOIN organization_members y
        ON x.organization_id = y.organization_id WHERE x.user_id = ? AND y.user_id = ?`).get(a, b)),
    isFlowMember: (flowId: string, userId: number) =>
      Boolean(db.prepare("SELECT 1 FROM flow_members WHERE flow_id = ? AND user_id = ?").get(flowId, userId)),
  };
}

export type DirectoryRepository = ReturnType<typeof directoryRepository>;
