// The one interface between a domain and Flowdock: the domain describes what
// happened as an Activity and records it inside its own transaction; activity
// forwarding turns it into one outbox row per integration of the project and
// delivers those. Replace the example domain, keep this.
import type { Tx } from "../db/prisma-client.ts";
import type { ThreadState } from "../flowdock-client/flowdock-types.ts";

export interface Activity {
  /** Whose integrations receive it. */
  projectId: string;
  /** What happened, e.g. "issue.closed"; integrations can filter on it. */
  kind: string;
  /** The item's stable id: Flowdock's `external_thread_id`. */
  threadKey: string;
  /** The item's full current state: every post carries it (contract section 5). */
  thread: ThreadState;
  /** `activity` for a change to the item, `discussion` for a comment on it. */
  event: "activity" | "discussion";
  title?: string;
  body?: string;
  author: { name: string; email?: string; avatar?: string };
  tags?: string[];
  /** The item's labels, for integrations that send only some labels. */
  labels?: string[];
}

export interface ActivityRecorder {
  /** Queues the activity for every integration of its project, as part of `tx`. */
  record(tx: Tx, activity: Activity): Promise<void>;
  /** Called with the transaction's activities once it has committed (a recorder that doesn't queue can deliver here). */
  committed?(activities: Activity[]): Promise<void>;
}

/** A kind of activity a domain produces, as an integration's configuration page lists it. */
export interface ActivityKind {
  kind: string;
  label: string;
}
