// What the flow pages read: the team inbox a page of threads at a time, a
// thread's latest messages, and the chat. Every query is keyset-paged on an
// index (database.ts: threads_inbox, messages_thread, messages_chat), so a
// flow with thousands of threads or a thread with thousands of messages costs
// one page's rows, never the whole flow.
import type { SqliteDatabase } from "./database.ts";
import type { MessageRow, ThreadRow } from "./inbox.repository.ts";

export interface Page<T> {
  /** Oldest first, as a person reads them. */
  items: T[];
  /** Cursor for the page before this one (older), if there is one. */
  older: number | null;
  /** Cursor for the page after this one (newer), if there is one. */
  newer: number | null;
}

/** Where to start: before a cursor (older items), after one (newer), or the newest. */
export interface PageRequest { before?: number | undefined; after?: number | undefined; limit: number }

const CHAT_EVENTS = "event IN ('message', 'status', 'comment')";

export function flowPagesRepository(db: SqliteDatabase) {
  // One keyset pager over "rows of a scope ordered by a unique increasing key".
  function pager<Row>(table: string, scope: string, key: string) {
    const newest = db.prepare(`SELECT * FROM ${table} WHERE ${scope} ORDER BY ${key} DESC LIMIT ?`);
    const before = db.prepare(`SELECT * FROM ${table} WHERE ${scope} AND ${key} < ? ORDER BY ${key} DESC LIMIT ?`);
    const after = db.prepare(`SELECT * FROM ${table} WHERE ${scope} AND ${key} > ? ORDER BY ${key} ASC LIMIT ?`);
    const anyBefore = db.prepare(`SELECT 1 FROM ${table} WHERE ${scope} AND ${key} < ? LIMIT 1`);
    const anyAfter = db.prepare(`SELECT 1 FROM ${table} WHERE ${scope} AND ${key} > ? LIMIT 1`);
    return (scopeValue: string, req: PageRequest): Page<Row> => {
      const rows = (req.after !== undefined
        ? (after.all(scopeValue, req.after, req.limit) as Row[])
        : req.before !== undefined
          ? (before.all(scopeValue, req.before, req.limit) as Row[]).reverse()
          : (newest.all(scopeValue, req.limit) as Row[]).reverse());
      const keyOf = (row: Row | undefined) => (row as Record<string, number> | undefined)?.[key];
      const first = keyOf(rows[0]);
      const last = keyOf(rows[rows.length - 1]);
      if (first === undefined || last === undefined) {
        // An empty page (past either end): offer the way back to where rows are.
        const older = req.after !== undefined && anyBefore.get(scopeValue, req.after + 1) ? req.after + 1 : null;
        const newer = req.before !== undefined && anyAfter.get(scopeValue, req.before - 1) ? req.before - 1 : null;
        return { items: [], older, newer };
      }
      return {
        items: rows,
        older: anyBefore.get(scopeValue, first) ? first : null,
        newer: anyAfter.get(scopeValue, last) ? last : null,
      };
    };
  }

  const inboxThreads = pager<ThreadRow>("threads", "flow_id = ? AND app = 'influx'", "updated_seq");
  const threadMessages = pager<MessageRow>("messages", "thread_id = ?", "id");
  const chatMessages = pager<MessageRow>("messages", `flow_id = ? AND ${CHAT_EVENTS}`, "id");

  const firstInThread = db.prepare<[string], { id: number }>("SELECT id FROM messages WHERE thread_id = ? ORDER BY id LIMIT 1");

  return {
    firstMessageId: (threadId: string) => firstInThread.get(threadId)?.id,
    /** The team inbox: integration threads, most recently active last on the page (callers reverse for newest first). */
    inboxThreads: (flowId: string, req: PageRequest) => inboxThreads(flowId, req),
    threadMessages: (threadId: string, req: PageRequest) => threadMessages(threadId, req),
    /** What people said in the flow: messages, replies and comments, from every thread. */
    chatMessages: (flowId: string, req: PageRequest) => chatMessages(flowId, req),
    threadsByIds(ids: string[]): Map<string, ThreadRow> {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      const rows = db.prepare(`SELECT * FROM threads WHERE id IN (${unique.map(() => "?").join(",")})`).all(...unique) as ThreadRow[];
      return new Map(rows.map((t) => [t.id, t]));
    },
  };
}

export type FlowPagesRepository = ReturnType<typeof flowPagesRepository>;
