// The issue tracker's use cases. Each change and the activities it causes are
// written in one transaction, so an event is recorded exactly when its change
// is, and no web request ever waits for Flowdock.
import type { Database, Tx } from "../db/prisma-client.ts";
import type { Activity, ActivityRecorder } from "../activity-forwarding/activity.ts";
import { AppError, notFound } from "../errors.ts";
import type { Issue, Person, Priority } from "./issue.ts";
import type { IssueChanges, IssuesRepository } from "./issues.repository.ts";
import type { ProjectsRepository } from "./projects.repository.ts";
import { activityFor, discussionFor, type IssueChange, type Links } from "./issue-activities.ts";
import { assertWritable } from "./project-access.ts";

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

  // An archived project's issues can be read, never changed.
  async function changeableIssueOf(actor: Person, projectId: string, number: number): Promise<Issue> {
    assertWritable(await memberProject(actor, projectId));
    return issueOf(actor, projectId, number);
  }

  // Runs a change and records its activities in one transaction, then tells
  // whoever delivers them that they are committed.
  async function recordingChange<T>(work: (tx: Tx, record: (activity: Activity) => Promise<void>) => Promise<T>): Promise<T> {
    const recorded: Activity[] = [];
    const result = await deps.db.$transaction((tx) => work(tx, async (activity) => {
      recorded.push(activity);
      await deps.recorder.record(tx, activity);
    }));
    await deps.recorder.committed?.(recorded);
    deps.onRecorded?.();
    return result;
  }

  // Applies changes and records one activity per kind of change.
  function change(actor: Person, issue: Issue, changes: IssueChanges, describe: (after: Issue) => IssueChange[]): Promise<Issue> {
    return recordingChange(async (tx, record) => {
      const after = await deps.issues.update(tx, issue.id, changes);
      for (const c of describe(after)) await record(activityFor(c, after, actor, deps.links));
      return after;
    });
  }

  return {
    async open(actor: Person, projectId: string, input: IssueInput): Promise<Issue> {
      assertWritable(await memberProject(actor, projectId));
      await checkAssignee(projectId, input.assigneeId);
      return recordingChange(async (tx, record) => {
        const created = await deps.issues.create(tx, { projectId, authorId: actor.id, ...input });
        await record(activityFor({ kind: "issue.opened" }, created, actor, deps.links));
        return created;
      });
    },

    async edit(actor: Person, projectId: string, number: number, input: IssueInput): Promise<Issue> {
      const issue = await changeableIssueOf(actor, projectId, number);
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
      const issue = await changeableIssueOf(actor, projectId, number);
      if (issue.status === "closed") return issue;
      return change(actor, issue, { status: "closed" }, () => [{ kind: "issue.closed" }]);
    },

    async reopen(actor: Person, projectId: string, number: number): Promise<Issue> {
      const issue = await changeableIssueOf(actor, projectId, number);
      if (issue.status === "open") return issue;
      return change(actor, issue, { status: "open" }, () => [{ kind: "issue.reopened" }]);
    },

    async comment(actor: Person, projectId: string, number: number, body: string) {
      const issue = await changeableIssueOf(actor, projectId, number);
      return recordingChange(async (tx, record) => {
        const added = await deps.issues.addComment(tx, { issueId: issue.id, authorId: actor.id, body });
        await record(discussionFor(added, issue, deps.links));
        return added;
      });
    },

    issueOf,
  };
}

export type IssuesService = ReturnType<typeof issuesService>;
