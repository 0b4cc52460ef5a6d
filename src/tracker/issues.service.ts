// The issue tracker's use cases. Each change and the activities it causes are
// written in one transaction, so an event is recorded exactly when its change
// is, and no web request ever waits for Flowdock.
import type { Database } from "../db/prisma-client.ts";
import type { ActivityRecorder } from "../activity-forwarding/activity.ts";
import { AppError, notFound } from "../errors.ts";
import type { Issue, Person, Priority } from "./issue.ts";
import type { IssueChanges, IssuesRepository } from "./issues.repository.ts";
import type { ProjectsRepository } from "./projects.repository.ts";
import { activityFor, discussionFor, type IssueChange, type Links } from "./issue-activities.ts";

export interface IssuesDeps {
  db: Database;
  issues: IssuesRepository;
  projects: ProjectsRepository;
  recorder: ActivityRecorder;
  links: Links;
  /** Called after a commit that recorded activities (wakes the delivery worker). */
  onRecorded?: () => void;
}

export interface IssueInput {
  title: string;
  description: string;
  priority: Priority;
  labels: string[];
  assigneeId: string | null;
}

export function issuesService(deps: IssuesDeps) {
  async function memberProject(actor: Person, projectId: string) {
    const project = await deps.projects.findForMember(projectId, actor.id);
    if (!project) throw notFound("Project");
    return project;
  }

  async function checkAssignee(projectId: string, assigneeId: string | null) {
    if (assigneeId && !(await deps.projects.findForMember(projectId, assigneeId))) {
      throw new AppError("VALIDATION_FAILED", "Some fields need attention", { details: { assigneeId: ["Choose someone in this project."] } });
    }
  }

  async function issueOf(actor: Person, projectId: string, number: number): Promise<Issue> {
    await memberProject(actor, projectId);
    const issue = await deps.issues.findByNumber(projectId, number);
    if (!issue) throw notFound("Issue");
    return issue;
  }

  // Applies changes and records one activity per kind of change, all in one transaction.
  async function change(actor: Person, issue: Issue, changes: IssueChanges, describe: (after: Issue) => IssueChange[]): Promise<Issue> {
    const updated = await deps.db.$transaction(async (tx) => {
      const after = await deps.issues.update(tx, issue.id, changes);
      for (const c of describe(after)) await deps.recorder.record(tx, activityFor(c, after, actor, deps.links));
      return after;
    });
    deps.onRecorded?.();
    return updated;
  }

  return {
    async open(actor: Person, projectId: string, input: IssueInput): Promise<Issue> {
      await memberProject(actor, projectId);
      await checkAssignee(projectId, input.assigneeId);
      const issue = await deps.db.$transaction(async (tx) => {
        const created = await deps.issues.create(tx, { projectId, authorId: actor.id, ...input });
        await deps.recorder.record(tx, activityFor({ kind: "issue.opened" }, created, actor, deps.links));
        return created;
      });
      deps.onRecorded?.();
      return issue;
    },

    async edit(actor: Person, projectId: string, number: number, input: IssueInput): Promise<Issue> {
      const issue = await issueOf(actor, projectId, number);
      await checkAssignee(projectId, input.assigneeId);
      const edited = (["title", "description", "priority"] as const).filter((f) => issue[f] !== input[f]);
      const relabelled = issue.labels.join("\n") !== input.labels.join("\n");
      const reassigned = (issue.assignee?.id ?? null) !== input.assigneeId;
      if (!edited.length && !relabelled && !reassigned) return issue;
      return change(actor, issue, input, () => [
        ...(edited.length ? [{ kind: "issue.edited" as const, fields: edited }] : []),
        ...(reassigned ? [{ kind: "issue.assigned" as const }] : []),
        ...(relabelled ? [{ kind: "issue.labelled" as const }] : []),
      ]);
    },

    async close(actor: Person, projectId: string, number: number): Promise<Issue> {
      const issue = await issueOf(actor, projectId, number);
      if (issue.status === "closed") return issue;
      return change(actor, issue, { status: "closed" }, () => [{ kind: "issue.closed" }]);
    },

    async reopen(actor: Person, projectId: string, number: number): Promise<Issue> {
      const issue = await issueOf(actor, projectId, number);
      if (issue.status === "open") return issue;
      return change(actor, issue, { status: "open" }, () => [{ kind: "issue.reopened" }]);
    },

    async comment(actor: Person, projectId: string, number: number, body: string) {
      const issue = await issueOf(actor, projectId, number);
      const comment = await deps.db.$transaction(async (tx) => {
        const added = await deps.issues.addComment(tx, { issueId: issue.id, authorId: actor.id, body });
        await deps.recorder.record(tx, discussionFor(added, issue, deps.links));
        return added;
      });
      deps.onRecorded?.();
      return comment;
    },

    issueOf,
  };
}

export type IssuesService = ReturnType<typeof issuesService>;
