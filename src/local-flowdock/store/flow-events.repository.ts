// The flow event log and its in-process bus. Triggers (database.ts) log every
// change in a flow as a row with an increasing id; a write wakes the bus,
// which on the next turn of the event loop (after the writer's transaction
// has committed or rolled back) reads the new committed rows once and hands
// them to every subscriber. One read per batch of writes, however many
// streams listen: streams never poll the database.
//
// Bounded: the log keeps the newest `retain` events (default 10,000) and
// prunes older ones as it goes. A client resuming from an event older than
// that gets everything still kept; that is what a reconnecting client needs
// after a short outage, and keeps the file from growing with every message
// (the messages themselves stay in the messages table, pageable by REST).
import { onFlowEventLogged, type SqliteDatabase } from "./database.ts";

export interface FlowEventRow {
  id: number; flow_id: string; kind: string; message_id: number | null; thread_id: string | null;
  source_id: number | null; detail: string | null; at: number;
}

export const DEFAULT_EVENT_RETENTION = 10_000;
const BATCH = 500;

export function flowEventsRepository(db: SqliteDatabase, retain = DEFAULT_EVENT_RETENTION) {
  const after = db.prepare<[number, number], FlowEventRow>("SELECT * FROM flow_events WHERE id > ? ORDER BY id LIMIT ?");
  const maxId = db.prepare<[], { m: number | null }>("SELECT MAX(id) AS m FROM flow_events");
  const prune = db.prepare<[number]>("DELETE FROM flow_events WHERE id <= ?");
  const listeners = new Set<(events: FlowEventRow[]) => void>();
  let cursor = maxId.get()?.m ?? 0;
  let scheduled = false;
  let sincePrune = 0;

  function drain() {
    scheduled = false;
    if (!db.open) return;
    for (;;) {
      const batch = after.all(cursor, BATCH);
      if (batch.length === 0) break;
      cursor = batch[batch.length - 1]!.id;
      sincePrune += batch.length;
      for (const listener of listeners) listener(batch);
      if (batch.length < BATCH) break;
    }
    if (sincePrune >= 100) {
      sincePrune = 0;
      prune.run(cursor - retain);
    }
  }

  onFlowEventLogged(db, () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  });

  return {
    /** Hears every committed event, in id order, in batches. Answers the unsubscribe function. */
    subscribe(listener: (events: FlowEventRow[]) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The kept events of these flows after `id`, oldest first (a resuming stream's backlog). */
    since(flowIds: string[], id: number, limit = retain): FlowEventRow[] {
      if (flowIds.length === 0) return [];
      return db.prepare<unknown[], FlowEventRow>(
        `SELECT * FROM flow_events WHERE id > ? AND flow_id IN (${flowIds.map(() => "?").join(",")}) ORDER BY id LIMIT ?`,
      ).all(id, ...flowIds, limit);
    },
    /** The newest event id published so far. */
    lastId: () => cursor,
    /** Publishes what is pending now (tests, and before shutdown). */
    flush: drain,
    /** After the store was wiped: ids start again from what the table holds. */
    reset() {
      db.exec("DELETE FROM flow_events");
      cursor = maxId.get()?.m ?? 0;
    },
  };
}

export type FlowEventsRepository = ReturnType<typeof flowEventsRepository>;
