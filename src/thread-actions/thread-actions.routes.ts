// The one endpoint Flowdock calls when someone presses an UpdateAction on an
// issue's thread (contract section 6). It is mounted before the app's body
// parsers and sessions: the FLOWDOCK-TOKEN signs the exact bytes of the body,
// so they are kept raw, and the token (not a cookie) authenticates the request,
// which is why it takes no CSRF token. Every answer is JSON, which Flowdock
// shows to the person who pressed the button.
import express, { Router } from "express";
import { notFound } from "../errors.ts";
import { ISSUE_ACTIONS, type IssueAction } from "../tracker/issue-activities.ts";
import type { Issue } from "../tracker/issue.ts";
import type { ThreadActionsService } from "./thread-actions.service.ts";

const PATH = "/flowdock/actions/issues/:issueId/:action";

export function threadActionUrl(appBaseUrl: string, issueId: string, action: IssueAction): string {
  return `${appBaseUrl}/flowdock/actions/issues/${encodeURIComponent(issueId)}/${action}`;
}

export function threadActionRoutes(deps: { actions: ThreadActionsService }): Router {
  const router = Router();
  router.post(
    PATH,
    (req, _res, next) => {
      req.headers.accept = "application/json";
      next();
    },
    // Any content type, no decompression: the token signs the bytes as sent.
    express.raw({ type: () => true, inflate: false, limit: "16kb" }),
    async (req, res) => {
      const action = ISSUE_ACTIONS.find((a) => a === req.params.action);
      const issueId = String(req.params.issueId);
      if (!action || !/^[a-z0-9]{1,64}$/i.test(issueId)) throw notFound("Action");
      const outcome = await deps.actions.receive({
        token: req.get("flowdock-token"),
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        issueId,
        action,
      });
      if (outcome.kind === "sign-in") {
        // The docs' example leaves the URL unquoted; we send it quoted, as an
        // auth-param (RFC 7235). It holds no spaces or quotes, so a client that
        // reads either form gets the same address.
        res.status(401).set("WWW-Authenticate", `Flowdock-Token url="${outcome.url}"`).json({
          error: { code: "UNAUTHENTICATED", message: "Link your Flowdock account to Tracker first: open the sign-in link, then press the action again." },
        });
        return;
      }
      res.json({ message: describe(outcome.issue, outcome.action, outcome.changed), changed: outcome.changed, issue: issueJson(outcome.issue) });
    },
  );
  return router;
}

function describe(issue: Issue, action: IssueAction, changed: boolean): string {
  const name = `#${issue.number} ${issue.title}`;
  const assignee = issue.assignee?.name ?? "nobody";
  switch (action) {
    case "close": return changed ? `Closed ${name}.` : `${name} was already closed.`;
    case "reopen": return changed ? `Reopened ${name}.` : `${name} was already open.`;
    case "assign-to-me": return changed ? `${name} is now assigned to ${assignee}.` : `${name} was already assigned to ${assignee}.`;
    case "unassign": return changed ? `${name} is now unassigned.` : `${name} was already unassigned.`;
  }
}

function issueJson(issue: Issue) {
  return { number: issue.number, title: issue.title, status: issue.status, assignee: issue.assignee?.name ?? null };
}
