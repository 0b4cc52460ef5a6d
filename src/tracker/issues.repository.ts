// Reads and writes issues and comments; works on the app's client or inside a
// transaction, and returns plain objects.
import type { Database, Tx } from "../db/prisma-client.ts";
import type { Comment, Issue, IssueStatus, Person, Priority } from "./issue.ts";

const PERSON = { select: { id: true, name: true, email: true } } as const;
const WITH_PEOPLE = { author: PERSON, assignee: PERSON } as const;

type Row = {
  id: string; projectId: string; number: number; title: string; description: string; priority: string; status: string;
  labels: string; createdAt: Date; updatedAt: Date; author: Person; assignee: Person | null;
};

function toIssue(row: Row): Issue {
  return { ...row, priority: row.priority as Priority, status: row.status as IssueStatus, labels: JSON.parse(row.labels) as string[] };
}

export interface IssueChanges {
  title?: string;
  description?: string;
  priority?: Priority;
  labels?: string[];
  assigneeId?: string | null;
  status?: IssueStatus;
}

/** What an issue must still be for a conditional change to apply (checked by the UPDATE itself). */
export interface IssueExpectation {
  status?: IssueStatus;
  /** Not assigned to this person (unassigned counts). */
  assigneeOtherThan?: string;
  assigned?: true;
}

function expectationWhere(e: IssueExpectation) {
  return {
    ...(e.status ? { status: e.status } : {}),
    ...(e.assigneeOtherThan ? { OR: [{ assigneeId: null }, { assigneeId: { not: e.assigneeOtherThan } }] } : {}),
    ...(e.assigned ? { assigneeId: { not: null } } : {}),
  };
}

export function issuesRepository(db: Database) {
  return {
    async findById(id: string, tx: Tx = db): Promise<Issue | null> {
      const row = await tx.issue.findUnique({ where: { id }, include: WITH_PEOPLE });
      return row ? toIssue(row) : null;
    },
    async list(projectId: string, status?: IssueStatus): Promise<Issue[]> {
      const rows = await db.issue.findMany({ where: { projectId, ...(status ? { status } : {}) }, include: WITH_PEOPLE, orderBy: { number: "desc" } });
      return rows.map(toIssue);
    },
    async findByNumber(projectId: string, number: number, tx: Tx = db): Promise<Issue | null> {
      const row = await tx.issue.findUnique({ where: { projectId_number: { projectId, number } }, include: WITH_PEOPLE });
      return row ? toIssue(row) : null;
    },
    async comments(issueId: string): Promise<Comment[]> {
      return db.comment.findMany({ where: { issueId }, include: { author: PERSON }, orderBy: { createdAt: "asc" } });
    },
    async create(tx: Tx, input: { projectId: string; authorId: string; title: string; description: string; priority: Priority; labels: string[]; assigneeId: string | null }): Promise<Issue> {
      // Numbering inside the transaction: the project row is the lock, so numbers never repeat.
      const { lastIssueNumber } = await tx.project.update({ where: { id: input.projectId }, data: { lastIssueNumber: { increment: 1 } }, select: { lastIssueNumber: true } });
      const row = await tx.issue.create({ data: { ...input, number: lastIssueNumber, labels: JSON.stringify(input.labels) }, include: WITH_PEOPLE });
      return toIssue(row);
    },
    async update(tx: Tx, id: string, changes: IssueChanges): Promise<Issue> {
      const { labels, ...rest } = changes;
      const row = await tx.issue.update({ where: { id }, data: { ...rest, ...(labels ? { labels: JSON.stringify(labels) } : {}) }, include: WITH_PEOPLE });
      return toIssue(row);
    },
    /**
     * Applies the changes only if the issue still meets `expected`, in one
     * UPDATE, so two people pressing Close at once close it once. Answers the
     * changed issue, or null when it no longer met the expectation.
     */
    async updateIf(tx: Tx, id: string, expected: IssueExpectation, changes: Pick<IssueChanges, "status" | "assigneeId">): Promise<Issue | null> {
      const { count } = await tx.issue.updateMany({ where: { id, ...expectationWhere(expected) }, data: changes });
      return count ? this.findById(id, tx) : null;
    },
    async addComment(tx: Tx, input: { issueId: string; authorId: string; body: string }): Promise<Comment> {
      return tx.comment.create({ data: input, include: { author: PERSON } });
    },
  };
}

export type IssuesRepository = ReturnType<typeof issuesRepository>;
