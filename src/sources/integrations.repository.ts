// Integrations: one Flowdock source that a project posts to. The flow token is
// sealed before it reaches this file's callers' data and opened only for
// delivery; nothing here returns it in plaintext except `openFlowToken`.
import type { Database } from "../db/prisma-client.ts";
import { retryOnConflict } from "../db/retry-on-conflict.ts";
import type { TokenCipher } from "../crypto/token-cipher.ts";
import { recordAudit } from "./audit.repository.ts";
import { suspensionsOf, type Suspension } from "../activity-forwarding/recipients.ts";

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
  /** When not empty, only issues with any of these labels are sent. */
  labelFilter: string[];
  /** Events not queued while it was suspended. */
  skippedWhileSuspended: number;
  /** The error message its source shows in Flowdock (null: none). */
  reportedError: string | null;
  createdAt: Date;
}

export interface NewIntegration extends Omit<Integration, "id" | "status" | "statusReason" | "mutedKinds" | "labelFilter" | "skippedWhileSuspended" | "reportedError" | "createdAt"> {
  flowToken: string;
}

const PUBLIC = {
  id: true, projectId: true, sourceId: true, sourceName: true, sourceUrl: true, flowId: true, flowUrl: true, flowWebUrl: true,
  organizationName: true, flowName: true, createdByUserId: true, status: true, statusReason: true, mutedKinds: true, labelFilter: true,
  skippedWhileSuspended: true, reportedError: true, createdAt: true,
} as const;

type Actor = { id: string; name: string };

export function integrationsRepository(db: Database, cipher: TokenCipher) {
  const toIntegration = (row: Record<keyof typeof PUBLIC, unknown>): Integration =>
    ({ ...row, mutedKinds: JSON.parse(row.mutedKinds as string) as string[], labelFilter: JSON.parse(row.labelFilter as string) as string[] }) as unknown as Integration;
  /** What a delivery needs: the opened flow token, and the error we last showed on the source. */
  async function deliveryTarget(id: string): Promise<{ flowToken: string; reportedError: string | null } | null> {
    const row = await db.integration.findUnique({ where: { id }, select: { encryptedFlowToken: true, reportedError: true } });
    return row ? { flowToken: cipher.decrypt(row.encryptedFlowToken), reportedError: row.reportedError } : null;
  }

  return {
    /** Stores the source's flow token, sealed, in one write with the integration and its first audit line. */
    async create(input: NewIntegration, extra: { reportedConfigurationUrl?: string } = {}): Promise<Integration> {
      const { flowToken, ...fields } = input;
      return db.$transaction(async (tx) => {
        const row = await tx.integration.create({ data: { ...fields, ...extra, encryptedFlowToken: cipher.encrypt(flowToken) }, select: PUBLIC });
        const actor = await tx.user.findUnique({ where: { id: input.createdByUserId }, select: { id: true, name: true } });
        await recordAudit(tx, { projectId: row.projectId, integrationId: row.id, actor, action: "integration.connected", detail: `source “${row.sourceName}” in ${row.organizationName} / ${row.flowName}` });
        return toIntegration(row);
      });
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
    /** New settings, effective from the next event, with a line saying what changed. */
    async updateSettings(id: string, settings: { mutedKinds: string[]; labelFilter: string[] }, by: Actor, whatChanged: string): Promise<void> {
      await db.$transaction(async (tx) => {
        const row = await tx.integration.update({ where: { id }, data: { mutedKinds: JSON.stringify(settings.mutedKinds), labelFilter: JSON.stringify(settings.labelFilter) }, select: { projectId: true } });
        await recordAudit(tx, { projectId: row.projectId, integrationId: id, actor: by, action: "integration.configured", detail: whatChanged });
      });
    },
    /**
     * Another project now posts to the flow; the person moving it (an owner of
     * both) is from now on the one it posts for. Each project's record says so.
     */
    async move(id: string, to: { id: string; name: string }, from: { id: string; name: string }, by: Actor): Promise<void> {
      await db.$transaction(async (tx) => {
        await tx.integration.update({ where: { id }, data: { projectId: to.id, createdByUserId: by.id } });
        await recordAudit(tx, { projectId: from.id, integrationId: id, actor: by, action: "integration.moved_out", detail: `to ${to.name}` });
        await recordAudit(tx, { projectId: to.id, integrationId: id, actor: by, action: "integration.moved_in", detail: `from ${from.name}` });
      });
    },
    /** "Post as me": the integration acts for this member from now on. */
    async takeOver(id: string, by: Actor, previousName: string | null): Promise<void> {
      await db.$transaction(async (tx) => {
        const row = await tx.integration.update({ where: { id }, data: { createdByUserId: by.id }, select: { projectId: true } });
        await recordAudit(tx, { projectId: row.projectId, integrationId: id, actor: by, action: "integration.taken_over", detail: previousName ? `from ${previousName}` : "" });
      });
    },
    /** Disconnected by a person (its source already removed in Flowdock): our data goes, the record stays. */
    async disconnect(id: string, by: Actor, detail: string): Promise<void> {
      await retryOnConflict(() => db.$transaction(async (tx) => {
        const row = await tx.integration.findUnique({ where: { id }, select: { projectId: true } });
        // deleteMany, not delete: the worker may have removed it meanwhile (its
        // source is gone from Flowdock now, so a post or PUT can get 410), and
        // then there is nothing left to do, not an error to show.
        if (!row || (await tx.integration.deleteMany({ where: { id } })).count === 0) return;
        await recordAudit(tx, { projectId: row.projectId, integrationId: id, actor: by, action: "integration.disconnected", detail });
      }));
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
      return retryOnConflict(() => db.$transaction(async (tx) => {
        const row = await tx.integration.findUnique({ where: { id }, select: { ...PUBLIC, project: { select: { name: true } } } });
        // A person may have disconnected it meanwhile (see disconnect above).
        if (!row || (await tx.integration.deleteMany({ where: { id } })).count === 0) return null;
        await tx.projectNotice.create({
          data: {
            projectId: row.projectId,
            message: `The Flowdock source “${row.sourceName}” was removed from ${row.organizationName} / ${row.flowName}, so ${row.project.name} no longer posts there.`,
          },
        });
        await recordAudit(tx, { projectId: row.projectId, integrationId: id, actor: null, action: "integration.removed_in_flowdock", detail: `source “${row.sourceName}” in ${row.organizationName} / ${row.flowName} (Flowdock answered 410 Gone)` });
        const { project: _project, ...integration } = row;
        return toIntegration(integration);
      }));
    },
    /** Flowdock refused the flow token (401): posting stops; one line the first time. */
    async markBroken(id: string, reason: string): Promise<void> {
      await db.$transaction(async (tx) => {
        const row = await tx.integration.findUnique({ where: { id }, select: { projectId: true, status: true } });
        if (!row || row.status === "broken") return;
        await tx.integration.update({ where: { id }, data: { status: "broken", statusReason: reason } });
        await recordAudit(tx, { projectId: row.projectId, integrationId: id, actor: null, action: "integration.token_refused", detail: "Flowdock answered 401: posting stopped" });
      });
    },
    deliveryTarget,
    /** Whether it is suspended now, and why (derived from the data, as for delivery). */
    async suspension(id: string): Promise<Suspension | null> {
      const row = await db.integration.findUnique({ where: { id }, select: { id: true, projectId: true, createdByUserId: true } });
      return row ? ((await suspensionsOf(db, [row])).get(id) ?? null) : null;
    },
    async openFlowToken(id: string): Promise<string | null> {
      return (await deliveryTarget(id))?.flowToken ?? null;
    },
  };
}

export type IntegrationsRepository = ReturnType<typeof integrationsRepository>;
