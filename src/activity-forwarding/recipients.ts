// Which of a project's integrations receive an activity. One rule, used wherever
// activities become deliveries, so a flow's settings and the integration's
// health are applied the same way however delivery is organised.
//
// An integration is suspended (nothing is queued for it, the skip is counted)
// while the project is archived or the person who connected it can no longer
// act for the project: removed from it, left it, disabled or deleted. Why it is
// suspended is derived from the data each time rather than stored, so it can
// never disagree with who belongs to the project.
import type { Tx } from "../db/prisma-client.ts";
import type { Activity } from "./activity.ts";

export type SuspensionCause = "project_archived" | "connector_left" | "connector_disabled" | "connector_deleted";

export interface Recipient {
  integrationId: string;
  mutedKinds: string[];
  /** When not empty, only activities with any of these labels are sent. */
  labelFilter: string[];
  suspension: SuspensionCause | null;
}

/** The active integrations of a project, with what each wants and whether it is suspended. */
export async function recipientsFor(tx: Tx, projectId: string): Promise<Recipient[]> {
  const project = await tx.project.findUnique({ where: { id: projectId }, select: { archivedAt: true } });
  if (!project) return [];
  const integrations = await tx.integration.findMany({
    where: { projectId, status: "active" },
    select: { id: true, mutedKinds: true, labelFilter: true, createdByUserId: true },
    orderBy: { createdAt: "asc" },
  });
  if (integrations.length === 0) return [];
  const connectorIds = [...new Set(integrations.map((i) => i.createdByUserId))];
  const connectors = await tx.user.findMany({
    where: { id: { in: connectorIds } },
    select: { id: true, disabledAt: true, deletedAt: true, memberships: { where: { projectId }, select: { role: true } } },
  });
  const byId = new Map(connectors.map((c) => [c.id, c]));
  return integrations.map((i) => ({
    integrationId: i.id,
    mutedKinds: JSON.parse(i.mutedKinds) as string[],
    labelFilter: JSON.parse(i.labelFilter) as string[],
    suspension: suspensionCause(project.archivedAt, byId.get(i.createdByUserId)),
  }));
}

function suspensionCause(
  archivedAt: Date | null,
  connector: { disabledAt: Date | null; deletedAt: Date | null; memberships: unknown[] } | undefined,
): SuspensionCause | null {
  if (archivedAt) return "project_archived";
  // A deleted account normally stays as a scrubbed row (scrubbed in src/accounts/users.repository.ts).
  if (!connector || connector.deletedAt) return "connector_deleted";
  if (connector.disabledAt) return "connector_disabled";
  if (connector.memberships.length === 0) return "connector_left";
  return null;
}

/** Whether a (not suspended) recipient's settings let this activity through. */
export function wants(recipient: Pick<Recipient, "mutedKinds" | "labelFilter">, activity: Pick<Activity, "kind" | "labels">): boolean {
  if (recipient.mutedKinds.includes(activity.kind)) return false;
  if (recipient.labelFilter.length === 0) return true;
  // People type labels as they remember them: "Bug" in the filter is the label "bug".
  const wanted = new Set(recipient.labelFilter.map(labelKey));
  return (activity.labels ?? []).some((label) => wanted.has(labelKey(label)));
}

function labelKey(label: string): string {
  return label.trim().toLocaleLowerCase("en");
}

export interface Suspension {
  cause: SuspensionCause;
  /** The person who connected the integration, when they still have an account. */
  connectorName: string | null;
}

/**
 * Whether each of these integrations is suspended, by the same rule as
 * `recipientsFor`: for the source-state reconciler and the pages that show it.
 */
export async function suspensionsOf(tx: Tx, integrations: { id: string; projectId: string; createdByUserId: string }[]): Promise<Map<string, Suspension | null>> {
  const result = new Map<string, Suspension | null>();
  if (integrations.length === 0) return result;
  const projectIds = [...new Set(integrations.map((i) => i.projectId))];
  const projects = await tx.project.findMany({ where: { id: { in: projectIds } }, select: { id: true, archivedAt: true } });
  const connectors = await tx.user.findMany({
    where: { id: { in: [...new Set(integrations.map((i) => i.createdByUserId))] } },
    select: { id: true, name: true, disabledAt: true, deletedAt: true, memberships: { where: { projectId: { in: projectIds } }, select: { projectId: true } } },
  });
  const archivedAt = new Map(projects.map((p) => [p.id, p.archivedAt]));
  const byId = new Map(connectors.map((c) => [c.id, c]));
  for (const i of integrations) {
    const connector = byId.get(i.createdByUserId);
    const inProject = connector && { ...connector, memberships: connector.memberships.filter((m) => m.projectId === i.projectId) };
    const cause = suspensionCause(archivedAt.get(i.projectId) ?? null, inProject);
    // A deleted account's row keeps no name worth showing (it is scrubbed).
    result.set(i.id, cause ? { cause, connectorName: connector && !connector.deletedAt ? connector.name : null } : null);
  }
  return result;
}
