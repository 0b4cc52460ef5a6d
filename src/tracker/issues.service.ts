// The issue tracker's use cases. Each change and the activities it causes are
// written in one transaction, so an event is recorded exactly when its change
// is, and no web request ever waits for Flowdock.
import type { Database, Tx } from "../db/prisma-client.ts";
import type { Activity, ActivityRecorder } from "../activity-forwarding/activity.ts";
import { AppError, notFound } from "../errors.ts";
import type { Issue, Person, Priority } from "./issue.ts";
import type { IssueChanges, IssueExpectation, IssuesRepository } from "./issues.repository.ts";
import type { ProjectsRepository } from "./projects.repository.ts";
import { activityFor, discussionFor, type IssueAction, type IssueChange, type Links } from "./issue-activities.ts";
import { assertWritable } from "./project-access.ts";

// Opening issues in one project queues them on the project row (it numbers
// them), and Prisma's 5 s default counts that wait: on a busy machine the tenth
// of ten simultaneous openings was rolled back although nothing was wrong.
// A longer limit still ends a transaction that is truly stuck.
const DOMAIN_TRANSACTION = { maxWait: 10_000, timeout: 20_000 };

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
    }), DOMAIN_TRANSACTION);
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

  // A change that applies only while the issue still is as expected: a second
  // Close (a double click, two people, a retried request) changes nothing and
  // records nothing, and still answers the issue as it now is.
  async function changeIf(actor: Person, issue: Issue, expected: IssueExpectation, changes: Pick<IssueChanges, "status" | "assigneeId">, kind: IssueChange): Promise<{ issue: Issue; changed: boolean }> {
    const after = await recordingChange(async (tx, record) => {
      const changed = await deps.issues.updateIf(tx, issue.id, expected, changes);
      if (changed) await record(activityFor(kind, changed, actor, deps.links));
      return changed;
    });
    return after ? { issue: after, changed: true } : { issue: (await deps.issues.findById(issue.id)) ?? issue, changed: false };
  }

  function applyAction(actor: Person, issue: Issue, action: IssueAction) {
    switch (action) {
      case "close": return changeIf(actor, issue, { status: "open" }, { status: "closed" }, { kind: "issue.closed" });
      case "reopen": return changeIf(actor, issue, { status: "closed" }, { status: "open" }, { kind: "issue.reopened" });
      case "assign-to-me": return changeIf(actor, issue, { assigneeOtherThan: actor.id }, { assigneeId: actor.id }, { kind: "issue.assigned" });
      case "unassign": return changeIf(actor, issue, { assigned: true }, { assigneeId: null }, { kind: "issue.assigned" });
    }
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
      return (await applyAction(actor, await changeableIssueOf(actor, projectId, number), "close")).issue;
    },

    async reopen(actor: Person, projectId: string, number: number): Promise<Issue> {
      return (await applyAction(actor, await changeableIssueOf(actor, projectId, number), "reopen")).issue;
    },

    /**
     * An action pressed on the issue's thread in a flow, by the Tracker account
     * linked to whoever pressed it: the same change as on the issue's page. The
     * person sees the thread in the flow, so a refusal says plainly why (a 403
     * Flowdock shows) instead of pretending the issue doesn't exist.
     */
    async act(actor: Person, issueId: string, action: IssueAction): Promise<{ issue: Issue; changed: boolean }> {
      const issue = await deps.issues.findById(issueId);
      if (!issue) throw notFound("Issue");
      const project = await deps.projects.findForMember(issue.projectId, actor.id);
      if (!project) {
        throw new AppError("FORBIDDEN", `${actor.name} is not a member of this issue's project in Tracker, so they can't change it from the flow. Ask one of the project's owners to add them.`);
      }
      assertWritable(project);
      return applyAction(actor, issue, action);
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
