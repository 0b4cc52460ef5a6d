// The data the source-state reconciler reads and writes: each active
// integration's facts (suspension, failed deliveries) beside what we last
// showed on its source, and a lease so one worker at a time updates a source.
import type { Database } from "../db/prisma-client.ts";
import type { TokenCipher } from "../crypto/token-cipher.ts";
import { suspensionsOf } from "../activity-forwarding/recipients.ts";
import { DEAD_MARK } from "../activity-forwarding/outbox-sql.ts";
import { recordAudit, type AuditLine } from "./audit.repository.ts";
import type { SourceFacts } from "./source-state.ts";

export interface SourceSnapshot extends SourceFacts {
  integrationId: string;
  projectId: string;
  reportedError: string | null;
  reportedConfigurationUrl: string | null;
  observedSuspension: string | null;
}

const FIELDS = {
  id: true, projectId: true, sourceId: true, flowId: true, createdByUserId: true,
  reportedError: true, reportedConfigurationUrl: true, observedSuspension: true,
  project: { select: { name: true } },
} as const;

export function sourceStateRepository(db: Database, cipher: TokenCipher) {
  async function snapshots(where: { id?: string }): Promise<SourceSnapshot[]> {
    const rows = await db.integration.findMany({ where: { ...where, status: "active" }, select: FIELDS, orderBy: { id: "asc" } });
    if (rows.length === 0) return [];
    const suspensions = await suspensionsOf(db, rows);
    // The newest failed delivery of each integration gives the error to show.
    // Failed rows are found by their mark (see DEAD_MARK): a filter on status
    // or integration would read each integration's delivered history.
    const ids = new Set(rows.map((r) => r.id));
    const dead = await db.outboxMessage.findMany({ where: { dueAt: DEAD_MARK, status: "dead" }, select: { integrationId: true, lastError: true }, orderBy: { id: "desc" } });
    const lastDead = new Map<string, string>();
    for (const d of dead) if (ids.has(d.integrationId) && !lastDead.has(d.integrationId)) lastDead.set(d.integrationId, d.lastError ?? "delivery failed");
    return rows.map((r) => ({
      integrationId: r.id, projectId: r.projectId, sourceId: r.sourceId, flowId: r.flowId, projectName: r.project.name,
      suspension: suspensions.get(r.id) ?? null, lastDeadError: lastDead.get(r.id) ?? null,
      reportedError: r.reportedError, reportedConfigurationUrl: r.reportedConfigurationUrl, observedSuspension: r.observedSuspension,
    }));
  }

  return {
    /** Every active integration's facts and what its source shows. */
    all: () => snapshots({}),
    async one(integrationId: string): Promise<SourceSnapshot | null> {
      return (await snapshots({ id: integrationId }))[0] ?? null;
    },

    /** The lease on updating this integration's source, if nobody else holds it. */
    async claim(integrationId: string, owner: string, leaseMs: number, now = new Date()): Promise<boolean> {
      const { count } = await db.integration.updateMany({
        where: { id: integrationId, OR: [{ sourceSyncLeaseUntil: null }, { sourceSyncLeaseUntil: { lt: now } }, { sourceSyncLeaseOwner: owner }] },
        data: { sourceSyncLeaseOwner: owner, sourceSyncLeaseUntil: new Date(now.getTime() + leaseMs) },
      });
      return count === 1;
    },

    async release(integrationId: string, owner: string): Promise<void> {
      await db.integration.updateMany({ where: { id: integrationId, sourceSyncLeaseOwner: owner }, data: { sourceSyncLeaseOwner: null, sourceSyncLeaseUntil: null } });
    },

    async flowToken(integrationId: string): Promise<string | null> {
      const row = await db.integration.findUnique({ where: { id: integrationId }, select: { encryptedFlowToken: true } });
      return row ? cipher.decrypt(row.encryptedFlowToken) : null;
    },

    /**
     * Stores what was observed or shown, with its audit lines, in one
     * transaction, only while the lease is still ours (a worker whose lease ran
     * out must not overwrite a newer worker's result).
     */
    async commit(integrationId: string, owner: string, changes: { reportedError?: string | null; reportedConfigurationUrl?: string; observedSuspension?: string | null }, lines: AuditLine[]): Promise<boolean> {
      return db.$transaction(async (tx) => {
        const { count } = await tx.integration.updateMany({ where: { id: integrationId, sourceSyncLeaseOwner: owner }, data: changes });
        if (count !== 1) return false;
        for (const line of lines) await recordAudit(tx, line);
        return true;
      });
    },
  };
}

export type SourceStateRepository = ReturnType<typeof sourceStateRepository>;
