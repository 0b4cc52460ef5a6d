// The setup flow's steps after OAuth, each one function that reads like its
// story: show the flow and the user's projects, then create the source and
// keep its flow token. Flowdock's failures become pages that say what happened.
import { AppError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { TokenCipher } from "../crypto/token-cipher.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { FlowdockError } from "../flowdock-client/flowdock-errors.ts";
import type { Flow } from "../flowdock-client/flowdock-types.ts";
import type { ProjectsRepository, MemberProject } from "../tracker/projects.repository.ts";
import type { Integration, IntegrationsRepository } from "../sources/integrations.repository.ts";
import type { PendingSetup } from "./pending-setups.ts";
import { configurationUrl } from "../sources/source-state.ts";

export interface SetupDeps {
  flowdock: FlowdockClient;
  projects: ProjectsRepository;
  integrations: IntegrationsRepository;
  cipher: TokenCipher;
  logger: Logger;
  projectUrl(projectId: string): string;
  /** Where the app runs: each source's Configure button leads back here. */
  appBaseUrl: string;
}

export interface Confirmation {
  flow: Flow;
  projects: (MemberProject & { existing: Integration[] })[];
}

const START_AGAIN = "Go back to the flow's Inbox Settings in Flowdock and add the integration again.";

/** Step 3: what the user confirms — the flow as Flowdock shows it to them, and their projects. */
export async function prepareConfirmation(deps: SetupDeps, setup: PendingSetup, userId: string): Promise<Confirmation> {
  const flow = await fetchFlow(deps, setup);
  const projects = await deps.projects.listForUser(userId);
  const withExisting = await Promise.all(projects.map(async (p) => ({ ...p, existing: await deps.integrations.listForProjectAndFlow(p.id, flow.id) })));
  return { flow, projects: withExisting };
}

export type ConnectResult = { kind: "created"; integration: Integration } | { kind: "exists"; existing: Integration[] };

/** Step 4: create the source and store its flow token at once, or leave nothing behind. */
export async function connectProject(
  deps: SetupDeps,
  setup: PendingSetup,
  input: { userId: string; project: { id: string } | { newName: string }; sourceName?: string; createAnother: boolean },
): Promise<ConnectResult> {
  const flow = setup.flow;
  if (!flow) throw new AppError("BAD_REQUEST", `This setup was not confirmed on its confirmation page. ${START_AGAIN}`, { title: "Setup not confirmed" });
  const project = await projectToConnect(deps, input.userId, input.project);

  const existing = await deps.integrations.listForProjectAndFlow(project.id, flow.id);
  if (existing.length > 0 && !input.createAnother) return { kind: "exists", existing };

  const accessToken = openAccessToken(deps, setup);
  const source = await callFlowdock(() =>
    deps.flowdock.createSource(accessToken, flow.links.sources.href, { name: input.sourceName || project.name, external_url: deps.projectUrl(project.id) }),
  );
  const configured = await pointConfigureHere(deps, source.flow_token, { sourceId: source.id, flowId: flow.id });
  try {
    const integration = await deps.integrations.create({
      projectId: project.id,
      sourceId: source.id,
      sourceName: source.name,
      sourceUrl: source.url,
      flowId: flow.id,
      flowUrl: flow.url,
      flowWebUrl: flow.web_url,
      organizationName: flow.organization.name,
      flowName: flow.name,
      createdByUserId: input.userId,
      flowToken: source.flow_token,
    }, configured ? { reportedConfigurationUrl: configured } : {});
    deps.logger.info({ integrationId: integration.id, sourceId: source.id, flowId: flow.id, projectId: project.id }, "integration created");
    return { kind: "created", integration };
  } catch (err) {
    // The flow token can never be read again, so a source we could not record
    // is useless: remove it rather than leave an orphan in the flow.
    await deps.flowdock.deleteSource(accessToken, source.url).then(
      () => deps.logger.error({ err, sourceId: source.id }, "storing the integration failed; the new source was deleted again"),
      (deleteErr: unknown) => deps.logger.error({ err, deleteErr, sourceId: source.id, sourceUrl: source.url }, "storing the integration failed and deleting the source failed too: remove it in Inbox Settings"),
    );
    throw new AppError("INTERNAL", "We could not save the new integration, so we removed it from the flow again. Please try again in a moment.", {
      cause: err,
      title: "The integration was not saved",
    });
  }
}

// A newcomer creates their project right here and carries on. It is made
// before the source: if Flowdock then fails, the project stays and is offered
// on the confirmation screen when they try again.
async function projectToConnect(deps: SetupDeps, userId: string, choice: { id: string } | { newName: string }) {
  if ("newName" in choice) return { ...(await deps.projects.create(choice.newName, userId)), role: "owner" as const };
  const project = await deps.projects.findForMember(choice.id, userId);
  if (!project) throw new AppError("FORBIDDEN", "You can only connect projects you are a member of.");
  if (project.archivedAt) {
    throw new AppError("CONFLICT", `“${project.name}” is archived, so it can't post to a flow. An owner can unarchive it in its settings; then add the integration again.`, { title: "This project is archived" });
  }
  return project;
}

// Configure in Inbox Settings should lead straight to this integration. If
// Flowdock doesn't take it now, the source-state reconciler sets it later.
async function pointConfigureHere(deps: SetupDeps, flowToken: string, source: { sourceId: number; flowId: string }): Promise<string | null> {
  const url = configurationUrl(deps.appBaseUrl, source);
  try {
    await deps.flowdock.updateSource(flowToken, { configuration_url: url });
    return url;
  } catch (err) {
    deps.logger.warn({ err, sourceId: source.sourceId }, "could not set the source's configuration address yet; the worker will");
    return null;
  }
}

async function fetchFlow(deps: SetupDeps, setup: PendingSetup): Promise<Flow> {
  const flow = await callFlowdock(() => deps.flowdock.findFlow(openAccessToken(deps, setup), setup.flowId));
  if (setup.flowUrl && setup.flowUrl !== flow.url) {
    throw new AppError("BAD_REQUEST", `The flow link in the setup address does not belong to flow "${flow.name}". ${START_AGAIN}`, { title: "This setup link is inconsistent" });
  }
  return flow;
}

function openAccessToken(deps: SetupDeps, setup: PendingSetup): string {
  if (!setup.sealedAccessToken) throw new AppError("BAD_REQUEST", `Flowdock has not authorized this setup yet. ${START_AGAIN}`, { title: "Authorization missing" });
  return deps.cipher.decrypt(setup.sealedAccessToken);
}

// What each Flowdock failure means to the person setting up.
async function callFlowdock<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof FlowdockError)) throw err;
    switch (err.kind) {
      case "not_found":
        throw new AppError("NOT_FOUND", "Flowdock can't find this flow for you: it may have been deleted, or you are not a member of it.", { cause: err, title: "Flow not found" });
      case "unauthorized":
        throw new AppError("UNAUTHENTICATED", `Flowdock no longer accepts this authorization (it may have expired). ${START_AGAIN}`, { cause: err, title: "Authorization expired" });
      case "forbidden":
        throw new AppError("FORBIDDEN", "Flowdock did not allow this: you may not be allowed to add integrations to this flow.", { cause: err, title: "Not allowed by Flowdock" });
      case "invalid":
        throw new AppError("VALIDATION_FAILED", "Flowdock did not accept the source.", { cause: err, details: err.details.fieldErrors, title: "Flowdock rejected the source" });
      default:
        throw new AppError("UPSTREAM_UNAVAILABLE", "Flowdock is not answering properly right now. Nothing was changed; please try again in a few minutes.", { cause: err, title: "Flowdock is unavailable" });
    }
  }
}
