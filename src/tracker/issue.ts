// The example domain's issue, as the rest of the app sees it.
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];
export type IssueStatus = "open" | "closed";

export interface Person {
  id: string;
  name: string;
  email: string;
}

export interface Issue {
  id: string;
  projectId: string;
  number: number;
  title: string;
  description: string;
  priority: Priority;
  status: IssueStatus;
  labels: string[];
  author: Person;
  assignee: Person | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Comment {
  id: string;
  body: string;
  author: Person;
  createdAt: Date;
}
