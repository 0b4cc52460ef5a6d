// What a source in Flowdock should show, derived from our data alone: the
// error a flow member reads in Inbox Settings (why nothing arrives and what to
// do, ending with the integration's configuration address) and where its
// Configure button leads. The reconciler makes Flowdock match this.
import type { Suspension, SuspensionCause } from "../activity-forwarding/recipients.ts";

export interface SourceFacts {
  sourceId: number;
  flowId: string;
  projectName: string;
  suspension: Suspension | null;
  /** The last error of a delivery parked as failed, when any is. */
  lastDeadError: string | null;
}

export interface DesiredSourceState {
  /** null: no error shown. */
  errorMessage: string | null;
  configurationUrl: string;
  suspension: SuspensionCause | null;
}

/** Where Configure in Inbox Settings leads for this source (and what error messages end with). */
export function configurationUrl(appBaseUrl: string, source: { sourceId: number; flowId: string }): string {
  return `${appBaseUrl}/flowdock/configure?${new URLSearchParams({ integration_id: String(source.sourceId), flow: source.flowId })}`;
}

export function desiredSourceState(appBaseUrl: string, facts: SourceFacts): DesiredSourceState {
  const url = configurationUrl(appBaseUrl, facts);
  return {
    errorMessage: errorMessageFor(facts, url),
    configurationUrl: url,
    suspension: facts.suspension?.cause ?? null,
  };
}

// Flowdock shows the message in one line in Inbox Settings: a sentence of what
// is wrong, one of what to do, then the address to do it at.
function errorMessageFor(facts: SourceFacts, url: string): string | null {
  const project = `“${facts.projectName}”`;
  const paused = `Tracker has paused posting to this flow`;
  const who = facts.suspension?.connectorName ?? "the person who connected it";
  switch (facts.suspension?.cause) {
    case "project_archived":
      return `${paused}: the Tracker project ${project} was archived. A project owner can unarchive it to resume. ${url}`;
    case "connector_left":
      return `${paused}: ${who}, who connected it, is no longer a member of the Tracker project ${project}. Another member of the project can take it over ("Post as me") to resume: ${url}`;
    case "connector_disabled":
      return `${paused}: the Tracker account of ${who}, who connected it, was disabled. A member of the project ${project} can take it over ("Post as me") to resume: ${url}`;
    case "connector_deleted":
      return `${paused}: the Tracker account that connected it was deleted. A member of the project ${project} can take it over ("Post as me") to resume: ${url}`;
    case undefined:
      break;
  }
  if (facts.lastDeadError !== null) {
    return `Tracker could not deliver some updates to this flow (${facts.lastDeadError}). A project owner can retry them on the integration's page in Tracker: ${url}`;
  }
  return null;
}
