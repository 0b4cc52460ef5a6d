// The integration's record: one line per life-cycle step, who did it and when.
// Lines are written in the same transaction as the step they record, so the
// record never claims a step that did not happen (or misses one that did).
import type { Database, Tx } from "../db/prisma-client.ts";

/** Stable codes; the words people read come from `describeAudit`. */
export type AuditAction =
  | "integration.connected"
  | "integration.configured"
  | "integration.moved_in"
  | "integration.moved_out"
  | "integration.taken_over"
  | "integration.suspended"
  | "integration.resumed"
  | "integration.error_set"
  | "integration.error_cleared"
  | "integration.disconnected"
  | "integration.removed_in_flowdock"
  | "integration.token_refused"
  | "integration.deliveries_retried";

export interface AuditLine {
  projectId: string;
  integrationId: string | null;
  /** null: the app itself (the worker, or Flowdock's answer). */
  actor: { id: string; name: string } | null;
  action: AuditAction;
  detail?: string;
}

export interface AuditEntry {
  id: number;
  integrationId: string | null;
  actorName: string;
  action: AuditAction;
  detail: string;
  createdAt: Date;
}

export const APP_ACTOR = "Tracker";

/** Writes one line as part of `tx` (or on its own). */
export async function recordAudit(tx: Tx | Database, line: AuditLine): Promise<void> {
  await tx.auditEntry.create({
    data: {
      projectId: line.projectId,
      integrationId: line.integrationId,
      actorUserId: line.actor?.id ?? null,
      actorName: line.actor?.name ?? APP_ACTOR,
      action: line.action,
      detail: line.detail ?? "",
    },
  });
}

const WORDS: Record<AuditAction, string> = {
  "integration.connected": "connected the integration",
  "integration.configured": "changed the settings",
  "integration.moved_in": "moved the integration here",
  "integration.moved_out": "moved the integration to another project",
  "integration.taken_over": "took the integration over (it now posts as them)",
  "integration.suspended": "suspended posting",
  "integration.resumed": "resumed posting",
  "integration.error_set": "showed an error on the source in Flowdock",
  "integration.error_cleared": "cleared the error on the source in Flowdock",
  "integration.disconnected": "disconnected the integration",
  "integration.removed_in_flowdock": "removed the integration: its source was deleted in Flowdock",
  "integration.token_refused": "stopped posting: Flowdock refused the integration's token",
  "integration.deliveries_retried": "retried failed deliveries",
};

/** What a line says, in words. */
export function describeAudit(action: string): string {
  return WORDS[action as AuditAction] ?? action;
}

export function auditRepository(db: Database) {
  const select = { id: true, integrationId: true, actorName: true, action: true, detail: true, createdAt: true } as const;
  const toEntry = (row: { id: number; integrationId: string | null; actorName: string; action: string; detail: string; createdAt: Date }): AuditEntry =>
    ({ ...row, action: row.action as AuditAction });
  return {
    record: (line: AuditLine) => recordAudit(db, line),
    async forIntegration(integrationId: string, limit = 50): Promise<AuditEntry[]> {
      const rows = await db.auditEntry.findMany({ where: { integrationId }, orderBy: { id: "desc" }, take: limit, select });
      return rows.map(toEntry);
    },
    async forProject(projectId: string, limit = 50): Promise<AuditEntry[]> {
      const rows = await db.auditEntry.findMany({ where: { projectId }, orderBy: { id: "desc" }, take: limit, select });
      return rows.map(toEntry);
    },
  };
}

export type AuditRepository = ReturnType<typeof auditRepository>;
