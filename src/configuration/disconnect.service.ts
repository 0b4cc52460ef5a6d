// Disconnecting an integration from the app: the source goes in Flowdock first,
// then our data, so a flow is never left with a source that nothing posts to
// without the person being told. Flowdock deletes a source only for a user's
// OAuth token with scope `integration` (docs/sources.md, "Delete a Source"),
// and the app keeps none after setup, so the person confirms with Flowdock
// once more (they came from Flowdock: one click on its consent page).
import { AppError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { TokenCipher } from "../crypto/token-cipher.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { FlowdockError } from "../flowdock-client/flowdock-errors.ts";
import type { IntegrationsRepository } from "../sources/integrations.repository.ts";
import type { ProjectsRepository } from "../tracker/projects.repository.ts";
import type { PendingSetup } from "../setup/pending-setups.ts";
import type { Person } from "./configuration.service.ts";

export interface DisconnectDeps {
  integrations: IntegrationsRepository;
  projects: ProjectsRepository;
  flowdock: FlowdockClient;
  cipher: TokenCipher;
  logger: Logger;
}

export interface Disconnected {
  projectId: string;
  sourceName: string;
  flow: string;
  alreadyGone: boolean;
}

const STILL_POSTS = "Nothing was disconnected: the integration still posts to the flow.";

/** With the token Flowdock just gave, remove the source there and then the integration here. */
export async function finishDisconnect(deps: DisconnectDeps, pending: PendingSetup, person: Person): Promise<Disconnected> {
  const action = pending.disconnect ? { href: pending.disconnect.configureUrl, label: "Back to the integration" } : undefined;
  const integration = pending.disconnect && await deps.integrations.findById(pending.disconnect.integrationId);
  if (!integration || !pending.sealedAccessToken) throw new AppError("NOT_FOUND", "This integration was already disconnected or removed.", { title: "Integration not found" });
  const project = await deps.projects.findForMember(integration.projectId, person.id);
  if (project?.role !== "owner") throw new AppError("FORBIDDEN", "Only the project's owners can disconnect this integration.", { title: "Only owners can disconnect" });

  const accessToken = deps.cipher.decrypt(pending.sealedAccessToken);
  const flow = `${integration.organizationName} / ${integration.flowName}`;
  let outcome: "removed" | "already_gone";
  try {
    // A flow this Flowdock account cannot see answers 404 like a removed source
    // would: tell the two apart first, or we'd forget a source that still exists.
    await deps.flowdock.findFlow(accessToken, integration.flowId);
    outcome = await deps.flowdock.deleteSource(accessToken, integration.sourceUrl);
  } catch (err) {
    if (!(err instanceof FlowdockError)) throw err;
    const message = err.kind === "not_found"
      ? `The Flowdock account you confirmed with is not in ${flow}, so it cannot remove the source there. ${STILL_POSTS} Sign in to Flowdock as a member of the flow and try again, or remove it in the flow's Inbox Settings.`
      : err.kind === "forbidden" || err.kind === "unauthorized"
        ? `Flowdock did not allow removing the source. ${STILL_POSTS} You can remove it in the flow's Inbox Settings instead.`
        : `Flowdock is not answering properly right now. ${STILL_POSTS} Please try again in a few minutes.`;
    throw new AppError(err.kind === "not_found" || err.kind === "forbidden" ? "FORBIDDEN" : "UPSTREAM_UNAVAILABLE", message, { cause: err, title: "Not disconnected", action });
  }
  await deps.integrations.disconnect(integration.id, person, `source “${integration.sourceName}” in ${flow}${outcome === "already_gone" ? " (it had already been removed in Flowdock)" : ", removed in Flowdock too"}`);
  deps.logger.info({ integrationId: integration.id, sourceId: integration.sourceId, alreadyGone: outcome === "already_gone" }, "integration disconnected");
  return { projectId: integration.projectId, sourceName: integration.sourceName, flow, alreadyGone: outcome === "already_gone" };
}
