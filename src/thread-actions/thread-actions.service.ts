// Receiving an action pressed on an issue's thread in a flow: the request must
// come from Flowdock (its token verified, never seen before), the person who
// pressed it must have linked a Tracker account (else they get the documented
// authentication challenge), and the change is the issue service's own.
import { AppError } from "../errors.ts";
import type { Issue } from "../tracker/issue.ts";
import type { IssueAction } from "../tracker/issue-activities.ts";
import type { IssuesService } from "../tracker/issues.service.ts";
import type { FlowdockLinksRepository } from "./flowdock-links.repository.ts";
import { verifyFlowdockToken } from "./flowdock-token.ts";
import type { LinkClaims } from "./link-claim.ts";

export type ActionOutcome =
  | { kind: "done"; issue: Issue; changed: boolean; action: IssueAction }
  | { kind: "sign-in"; url: string };

export interface ActionRequest {
  token: string | undefined;
  rawBody: Buffer;
  issueId: string;
  action: IssueAction;
}

export interface ThreadActionsDeps {
  links: FlowdockLinksRepository;
  claims: LinkClaims;
  issues: IssuesService;
  clientSecret: string;
  /** The page where a Flowdock user links their Tracker account, for a claim. */
  linkPageUrl(claim: string): string;
}

export function threadActionsService(deps: ThreadActionsDeps) {
  return {
    async receive(request: ActionRequest): Promise<ActionOutcome> {
      const token = await verifyFlowdockToken(request.token, request.rawBody, deps.clientSecret);
      assertActionBody(request.rawBody);
      // Spent before anything else happens, so a token is good for one attempt only.
      if (!(await deps.links.useToken(token.replayKey, token.expiresAt))) {
        throw new AppError("UNAUTHENTICATED", "This FLOWDOCK-TOKEN was already used. Press the action again.");
      }
      const account = await deps.links.accountOf(token.flowdockUserId);
      if (!account) return { kind: "sign-in", url: deps.linkPageUrl(await deps.claims.sign(token.flowdockUserId)) };
      return { kind: "done", action: request.action, ...(await deps.issues.act(account, request.issueId, request.action)) };
    },
  };
}

// Flowdock sends the action itself, enriched with `agent` (who pressed it). We
// act on what the URL names, but a body that is not such an object did not come
// from Flowdock's action button.
function assertActionBody(rawBody: Buffer): void {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    body = undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AppError("BAD_REQUEST", "The request body is not a Flowdock action (a JSON object).");
  }
}

export type ThreadActionsService = ReturnType<typeof threadActionsService>;
