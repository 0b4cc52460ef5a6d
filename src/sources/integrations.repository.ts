// Integrations: one Flowdock source that a project posts to. The flow token is
// sealed before it reaches this file's callers' data and opened only for
// delivery; nothing here returns it in plaintext except `openFlowToken`.
import type { Database } from "../db/prisma-client.ts";
import type { TokenCipher } from "../crypto/token-cipher.ts";

export type IntegrationStatus = "active" | "broken";

export interface Integration {
  id: string;
  projectId: string;
  sourceId: number;
  sourceName: string;
  sourceUrl: string;
  flowId: string;
  flowUrl: string;
  flowWebUrl: string;
  organizationName: string;
  flowName: string;
  createdByUserId: string;
  status: IntegrationStatus;
  statusReason: string | null;
  /** Activity kinds this integration does not send. */
  mutedKinds: string[];
  createdAt: Date;
}

export interface NewIntegration extends Omit<Integration, "id" | "status" | "statusReason" | "mutedKinds" | "createdAt"> {
  flowToken: string;
}

const PUBLIC = {
  id: true, projectId: true, sourceId: true, sourceName: true, sourceUrl: true, flowId: true, flowUrl: true, flowWebUrl: true,
  organizationName: true, flowName: true, createdByUserId: true, status: true, statusReason: true, mutedKinds: true, createdAt: true,
} as const;

export function integrationsRepository(db: Database, cipher: TokenCipher) {
  const toIntegration = (row: Record<keyof typeof PUBLIC, unknown>): Integration =>
    ({ ...row, mutedKinds: JSON.parse(row.mutedKinds as string) as string[] }) as unknown as Integration;
  /** What a delivery needs: the opened flow token, and the error we last showed on the source. */
  async function deliveryTarget(id: string): Promise<{ flowToken: string; reportedError: string | null } | null> {
    const row = await db.integration.findUnique({ where: { id }, select: { encryptedFlowToken: true, reportedError: true } });
    return row ? { flowToken: cipher.decrypt(row.encryptedFlowToken), reportedError: row.reportedError } : null;
  }

  return {
    /** Stores the source's flow token, sealed, in one write with the integration. */
    async create(input: NewIntegration): Promise<Integration> {
      const { flowToken, ...fields } = input;
      const row = await db.integration.create({ data: { ...fields, encryptedFlowToken: cipher.encrypt(flowToken) }, select: PUBLIC });
      return toIntegration(row);
    },
    async listForProject(projectId: string): Promise<Integration[]> {
      const rows = await db.integration.findMany({ where: { projectId }, select: PUBLIC, orderBy: { createdAt: "asc" } });
      return rows.map(toIntegration);
    },
    async listForProjectAndFlow(projectId: string, flowId: string): Promise<Integration[]> {
      const rows = await db.integration.findMany({ where: { projectId, flowId }, select: PUBLIC, orderBy: { createdAt: "asc" } });
      return rows.map(toIntegration);
    },
    /** The integration of a Flowdock source, as the configuration URI names it. */
    async findBySource(flowId: string, sourceId: number): Promise<Integration | null> {
      const row = await db.integration.findFirst({ where: { flowId, sourceId }, select: PUBLIC });
      return row ? toIntegration(row) : null;
    },
    async updateSettings(id: string, settings: { mutedKinds: string[]; sourceName: string }): Promise<void> {
      await db.integration.update({ where: { id }, data: { mutedKinds: JSON.stringify(settings.mutedKinds), sourceName: settings.sourceName } });
    },
    async findById(id: string): Promise<Integration | null> {
      const row = await db.integration.findUnique({ where: { id }, select: PUBLIC });
      return row ? toIntegration(row) : null;
    },
    /**
     * The source was deleted in Flowdock (410): forget the integration and every
     * delivery still queued for it, and leave the project one line saying so.
     */
    async removeBecauseSourceIsGone(id: string): Promise<Integration | null> {
      return db.$transaction(async (tx) => {
        const row = await tx.integration.findUnique({ where: { id }, select: { ...PUBLIC, project: { select: { name: true } } } });
        if (!row) return null;
        await tx.integration.delete({ where: { id } });
        await tx.projectNotice.create({
          data: {
            projectId: row.projectId,
            message: `The Flowdock source “${row.sourceName}” was removed from ${row.organizationName} / ${row.flowName}, so ${row.project.name} no longer posts there.`,
          },
        });
        const { project: _project, ...integration } = row;
        return toIntegration(integration);
      });
    },
    async markBroken(id: string, reason: string): Promise<void> {
      await db.integration.updateMany({ where: { id }, data: { status: "broken", statusReason: reason } });
    },
    deliveryTarget,
    async setReportedError(id: string, message: string | null): Promise<void> {
      await db.integration.updateMany({ where: { id }, data: { reportedError: message } });
    },
    async openFlowToken(id: string): Promise<string | null> {
      return (await deliveryTarget(id))?.flowToken ?? null;
    },
  };
}

export type IntegrationsRepository = ReturnType<typeof integrationsRepository>;
