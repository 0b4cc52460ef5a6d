// How the example domain shows up in Flowdock: each issue is one thread whose
// state (title, description, status colour, assignee, priority, labels) is sent
// in full with every activity, and each change or comment is one message in it.
import type { Activity, ActivityKind } from "../activity-forwarding/activity.ts";
import type { ThreadAction } from "../flowdock-client/flowdock-types.ts";
import type { Comment, Issue, Person } from "./issue.ts";
import { renderMarkdown } from "./markdown.ts";

/** What people can do to an issue from its thread in the flow (Flowdock's UpdateActions). */
export const ISSUE_ACTIONS = ["close", "reopen", "assign-to-me", "unassign"] as const;
export type IssueAction = (typeof ISSUE_ACTIONS)[number];

export interface Links {
  issueUrl(issue: Issue): string;
  avatarUrl(person: Person): string;
  /** Where Flowdock sends an action pressed on the issue's thread. */
  actionUrl(issue: Issue, action: IssueAction): string;
}

export type IssueChange =
  | { kind: "issue.opened" }
  | { kind: "issue.edited"; fields: string[] }
  | { kind: "issue.assigned" }
  | { kind: "issue.labelled" }
  | { kind: "issue.closed" }
  | { kind: "issue.reopened" };

/** Every kind of activity the tracker sends, for each integration's configuration. */
export const ISSUE_ACTIVITY_KINDS: ActivityKind[] = [
  { kind: "issue.opened", label: "Issue opened" },
  { kind: "issue.edited", label: "Issue edited (title, description, priority)" },
  { kind: "issue.assigned", label: "Issue assigned or unassigned" },
  { kind: "issue.labelled", label: "Labels changed" },
  { kind: "issue.closed", label: "Issue closed" },
  { kind: "issue.reopened", label: "Issue reopened" },
  { kind: "issue.commented", label: "Comments" },
];

export function issueThreadKey(issue: Pick<Issue, "id">): string {
  return `issue:${issue.id}`;
}

export function activityFor(change: IssueChange, issue: Issue, actor: Person, links: Links): Activity {
  return {
    ...common(issue, actor, links),
    kind: change.kind,
    event: "activity",
    title: titleFor(change, issue),
    ...(change.kind === "issue.edited" ? { body: `<p>Changed: ${change.fields.map(escapeHtml).join(", ")}</p>` } : {}),
  };
}

export function discussionFor(comment: Comment, issue: Issue, links: Links): Activity {
  return { ...common(issue, comment.author, links), kind: "issue.commented", event: "discussion", body: renderMarkdown(comment.body) };
}

function common(issue: Issue, actor: Person, links: Links): Omit<Activity, "kind" | "event"> {
  return {
    projectId: issue.projectId,
    threadKey: issueThreadKey(issue),
    author: { name: actor.name, email: actor.email, avatar: links.avatarUrl(actor) },
    tags: issue.labels,
    labels: issue.labels,
    thread: {
      title: `#${issue.number} ${issue.title}`,
      body: renderMarkdown(issue.description),
      external_url: links.issueUrl(issue),
      status: issue.status === "open" ? { color: "green", value: "open" } : { color: "red", value: "closed" },
      fields: [
        { label: "Assignee", value: escapeHtml(issue.assignee?.name ?? "nobody") },
        { label: "Priority", value: escapeHtml(issue.priority) },
        { label: "Labels", value: escapeHtml(issue.labels.join(", ") || "none") },
      ],
      actions: threadActions(issue, links),
    },
  };
}

// Every post carries the actions that make sense in the issue's state after the
// change, so the buttons in the flow follow the issue. "Assign to me" stays on
// an assigned issue: whoever presses it takes the issue over.
function threadActions(issue: Issue, links: Links): ThreadAction[] {
  const update = (name: string, action: IssueAction, description: string): ThreadAction => ({
    "@type": "UpdateAction", name, description,
    target: { "@type": "EntryPoint", urlTemplate: links.actionUrl(issue, action), httpMethod: "POST" },
  });
  return [
    { "@type": "ViewAction", name: "Open in Tracker", description: "Open the issue in Tracker", url: links.issueUrl(issue) },
    issue.status === "open" ? update("Close", "close", "Close the issue") : update("Reopen", "reopen", "Reopen the issue"),
    update("Assign to me", "assign-to-me", "Assign the issue to yourself"),
    ...(issue.assignee ? [update("Unassign", "unassign", "Leave the issue unassigned")] : []),
  ];
}

// A title is Flowdock's plain text with only <a> allowed: every piece of
// people's text in it (names, labels) is escaped here, the one place titles are built.
function titleFor(change: IssueChange, issue: Issue): string {
  switch (change.kind) {
    case "issue.opened": return "opened the issue";
    case "issue.edited": return "edited the issue";
    case "issue.assigned": return issue.assignee ? `assigned the issue to ${escapeHtml(issue.assignee.name)}` : "unassigned the issue";
    case "issue.labelled": return issue.labels.length ? `labelled the issue ${escapeHtml(issue.labels.join(", "))}` : "removed the issue's labels";
    case "issue.closed": return "closed the issue";
    case "issue.reopened": return "reopened the issue";
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
