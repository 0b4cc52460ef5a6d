// The configuration URI's story: find the integration Flowdock's Configure
// button names, check the person may change it, and save what it sends and the
// source's name (renaming the source in Flowdock too, with its flow token).
import { AppError, notFound } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { ActivityKind } from "../activity-forwarding/activity.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { FlowdockError } from "../flowdock-client/flowdock-errors.ts";
import type { Integration, IntegrationsRepository } from "../sources/integrations.repository.ts";
import type { MemberProject, ProjectsRepository } from "../tracker/projects.repository.ts";

export interface ConfigurationDeps {
  integrations: IntegrationsRepository;
  projects: ProjectsRepository;
  flowdock: FlowdockClient;
  activityKinds: ActivityKind[];
  logger: Logger;
}

export interface Configurable {
  integration: Integration;
  project: MemberProject;
}

export async function findConfigurable(deps: ConfigurationDeps, userId: string, source: { flowId: string; sourceId: number }): Promise<Configurable> {
  const integration = await deps.integrations.findBySource(source.flowId, source.sourceId);
  if (!integration) throw new AppError("NOT_FOUND", "This integration is not known to Tracker: it may have been set up from another Tracker installation, or removed.", { title: "Integration not found" });
  const project = await deps.projects.findForMember(integration.projectId, userId);
  if (!project) throw new AppError("FORBIDDEN", "Only members of the project that posts to this flow can configure it. Ask its owner to add you.", { title: "Not a member of this project" });
  return { integration, project };
}

export async function saveConfiguration(deps: ConfigurationDeps, target: Configurable, input: { sendKinds: string[]; sourceName: string }): Promise<void> {
  const known = new Set(deps.activityKinds.map((k) => k.kind));
  const unknown = input.sendKinds.filter((k) => !known.has(k));
  if (unknown.length) throw new AppError("VALIDATION_FAILED", "Some fields need attention", { details: { sendKinds: [`Unknown kind: ${unknown.join(", ")}`] } });
  const mutedKinds = [...known].filter((k) => !input.sendKinds.includes(k));

  if (input.sourceName !== target.integration.sourceName) await renameSource(deps, target.integration, input.sourceName);
  await deps.integrations.updateSettings(target.integration.id, { mutedKinds, sourceName: input.sourceName });
  deps.logger.info({ integrationId: target.integration.id, mutedKinds }, "integration configured");
}

async function renameSource(deps: ConfigurationDeps, integration: Integration, name: string): Promise<void> {
  const flowToken = await deps.integrations.openFlowToken(integration.id);
  if (!flowToken) throw notFound("Integration");
  try {
    await deps.flowdock.updateSource(flowToken, { name });
  } catch (err) {
    if (!(err instanceof FlowdockError)) throw err;
    const gone = err.kind === "gone" || err.kind === "unauthorized";
    throw new AppError(gone ? "CONFLICT" : "UPSTREAM_UNAVAILABLE", gone
      ? "Flowdock no longer accepts this integration (its source was removed). Nothing was saved."
      : "Flowdock did not take the new name right now, so nothing was saved. Please try again in a moment.", { cause: err, title: "Not saved" });
  }
}
