// The configuration URI's stories: find the integration Flowdock's Configure
// button names and what this person may do with it (owners change it, members
// read it and can take it over when it is suspended), then each change.
// Settings take effect from the next event: activities are filtered when they
// are recorded (src/activity-forwarding/recipients.ts).
import { AppError, notFound, validationFailed } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { ActivityKind } from "../activity-forwarding/activity.ts";
import type { Suspension } from "../activity-forwarding/recipients.ts";
import type { Integration, IntegrationsRepository } from "../sources/integrations.repository.ts";
import type { MemberProject, ProjectsRepository } from "../tracker/projects.repository.ts";
import { settingsChange } from "./sends-in-words.ts";

export interface ConfigurationDeps {
  integrations: IntegrationsRepository;
  projects: ProjectsRepository;
  activityKinds: ActivityKind[];
  logger: Logger;
  /** Called after a change the source's state in Flowdock may depend on (wakes the reconciler). */
  onChanged?: () => void;
}

export interface Person {
  id: string;
  name: string;
}

export interface Configurable {
  integration: Integration;
  project: MemberProject;
  suspension: Suspension | null;
}

const UNKNOWN = "This integration is not known to Tracker: it may have been set up from another Tracker installation, or removed.";

/** The integration a Configure link names, for a member of its project; anything that doesn't match is "not found". */
export async function findConfigurable(deps: ConfigurationDeps, person: Person, source: { flowId: string; sourceId: number; sourceUrl?: string }): Promise<Configurable> {
  const integration = await deps.integrations.findBySource(source.flowId, source.sourceId);
  if (!integration || (source.sourceUrl !== undefined && source.sourceUrl !== integration.sourceUrl)) {
    throw new AppError("NOT_FOUND", UNKNOWN, { title: "Integration not found" });
  }
  const project = await deps.projects.findForMember(integration.projectId, person.id);
  if (!project) {
    const owners = (await deps.projects.members(integration.projectId)).filter((m) => m.role === "owner").map((m) => m.name);
    throw new AppError("FORBIDDEN", `Only members of the Tracker project that posts to this flow can see its settings, and you are not one of them. Ask ${owners.length ? `one of its owners (${owners.join(", ")})` : "its owner"} to add you to the project, then press Configure again.`, {
      title: "Not a member of this project",
      action: { href: "/projects", label: "Your projects" },
    });
  }
  return { integration, project, suspension: await deps.integrations.suspension(integration.id) };
}

export function canChange(t: Configurable): boolean {
  return t.project.role === "owner";
}

/** Whether this person can take the integration over ("post as me") to end a suspension. */
export function canTakeOver(t: Configurable, person: Person): boolean {
  return t.suspension !== null && t.suspension.cause !== "project_archived" && t.integration.createdByUserId !== person.id;
}

function requireOwner(t: Configurable): void {
  if (!canChange(t)) throw new AppError("FORBIDDEN", `Only the owners of ${t.project.name} can change this integration. You are a member.`, { title: "Only owners can change this" });
}

export async function saveSettings(deps: ConfigurationDeps, t: Configurable, person: Person, input: { sendKinds: string[]; sendNothing: boolean; labels: string[] }): Promise<void> {
  requireOwner(t);
  const known = new Set(deps.activityKinds.map((k) => k.kind));
  const unknown = input.sendKinds.filter((k) => !known.has(k));
  if (unknown.length) throw validationFailed({ sendKinds: ["Choose among the listed kinds only."] });
  if (input.sendKinds.length === 0 && !input.sendNothing) {
    throw validationFailed({ sendKinds: ["Tick at least one kind, or tick “Send nothing” to confirm that the flow should receive nothing from this project."] });
  }
  const after = { mutedKinds: [...known].filter((k) => !input.sendKinds.includes(k)), labelFilter: input.labels };
  const change = settingsChange(deps.activityKinds, t.integration, after);
  if (change === null) return; // saved as it was: nothing to record
  await deps.integrations.updateSettings(t.integration.id, after, person, change);
  deps.logger.info({ integrationId: t.integration.id, mutedKinds: after.mutedKinds, labels: after.labelFilter.length }, "integration configured");
}

/** Another project the person owns posts to the flow from the next event on. */
export async function moveToProject(deps: ConfigurationDeps, t: Configurable, person: Person, projectId: string): Promise<MemberProject> {
  requireOwner(t);
  const target = await deps.projects.findForMember(projectId, person.id);
  if (!target || target.role !== "owner") throw notFound("Project");
  if (target.id === t.project.id) throw validationFailed({ projectId: [`${target.name} already posts to this flow.`] });
  await deps.integrations.move(t.integration.id, target, t.project, person);
  deps.onChanged?.();
  deps.logger.info({ integrationId: t.integration.id, from: t.project.id, to: target.id }, "integration moved to another project");
  return target;
}

/** "Post as me": a member of the project takes over a suspended integration, which resumes it. */
export async function takeOver(deps: ConfigurationDeps, t: Configurable, person: Person): Promise<void> {
  if (!canTakeOver(t, person)) {
    throw new AppError("CONFLICT", t.suspension?.cause === "project_archived"
      ? `${t.project.name} is archived: an owner can unarchive it to resume posting.`
      : "This integration is not suspended, so there is nothing to take over.", { title: "Nothing to take over" });
  }
  await deps.integrations.takeOver(t.integration.id, person, t.suspension?.connectorName ?? null);
  deps.onChanged?.();
  deps.logger.info({ integrationId: t.integration.id }, "integration taken over by a project member");
}
