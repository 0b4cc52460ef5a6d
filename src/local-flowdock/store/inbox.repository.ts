// The team inbox: threads and the messages in them. A post names its thread by
// the source's external_thread_id (or Flowdock's thread id) and carries the
// thread's full current state, which replaces what the thread showed before.
import { randomToken } from "../../crypto/random.ts";
import type { SqliteDatabase } from "./database.ts";

export interface ThreadState {
  title: string; body?: string | undefined; external_url?: string | undefined;
  status?: { color: string; value: string } | undefined;
  fields?: { label: string; value: string }[] | undefined; actions?: unknown[] | undefined;
}

export interface ThreadRow {
  id: string; flow_id: string; source_id: number | null; external_thread_id: string | null; title: string;
  body: string | null; external_url: string | null; status: string | null; fields: string | null; actions: string | null;
  created_at: string; updated_at: string; updated_seq: number;
  /** 'influx' for team inbox threads, 'chat' for a thread a chat message started (threads.md's application filter). */
  app: string;
}

export interface MessageRow {
  id: number; flow_id: string; thread_id: string; source_id: number | null; event: string; title: string | null;
  body: string | null; author: string | null; tags: string; uuid: string | null; external_thread_id: string | null;
  thread: string | null; sent: number;
  /** Chat columns (chat.repository.ts); null/"influx" for team-inbox posts. */
  user_id: number | null; content: string | null; app: string; parent_id: number | null;
  external_user_name: string | null; edited_at: number | null;
}

export interface NewMessage {
  /** null for the Push API's posts, which no source makes. */
  flowId: string; sourceId: number | null; event: string; title?: string | undefined; body?: string | undefined;
  author: unknown; tags: string[]; uuid?: string | undefined;
  externalThreadId?: string | undefined; threadId?: string | undefined; thread?: ThreadState | undefined;
}

export type PostOutcome =
  | { kind: "stored"; message: MessageRow; duplicate: boolean }
  | { kind: "unknown_thread" }
  | { kind: "thread_required" };

export function inboxRepository(db: SqliteDatabase, now: () => number) {
  const threadById = db.prepare<[string], ThreadRow>("SELECT * FROM threads WHERE id = ?");
  const threadByExternal = db.prepare<[string, number | null, string], ThreadRow>(
    "SELECT * FROM threads WHERE flow_id = ? AND source_id = ? AND external_thread_id = ?");
  const messageByUuid = db.prepare<[string, string], MessageRow>("SELECT * FROM messages WHERE flow_id = ? AND uuid = ?");
  const messageById = db.prepare<[number], MessageRow>("SELECT * FROM messages WHERE id = ?");
  // Read from the table each time: chat posts (chat.repository.ts) move threads up too.
  const nextSeq = () => ((db.prepare<[], { s: number | null }>("SELECT MAX(updated_seq) AS s FROM threads").get()?.s ?? 0) + 1);

  function applyThreadState(thread: ThreadRow, state: ThreadState, at: string) {
    db.prepare(`UPDATE threads SET title = ?, body = ?, external_url = ?, status = ?, fields = ?, actions = ?, updated_at = ?, updated_seq = ? WHERE id = ?`)
      .run(state.title, state.body ?? null, state.external_url ?? null, json(state.status), json(state.fields), json(state.actions), at, nextSeq(), thread.id);
  }

  const post = db.transaction((m: NewMessage): PostOutcome => {
    if (m.uuid) {
      const repeat = messageByUuid.get(m.flowId, m.uuid);
      if (repeat) return { kind: "stored", message: repeat, duplicate: true };
    }
    const at = new Date(now()).toISOString();
    let thread = m.threadId ? threadById.get(m.threadId) : threadByExternal.get(m.flowId, m.sourceId, m.externalThreadId!);
    if (m.threadId && (!thread || thread.flow_id !== m.flowId)) return { kind: "unknown_thread" };
    if (!thread) {
      if (!m.thread) return { kind: "thread_required" };
      const id = randomToken(12);
      db.prepare(`INSERT INTO threads (id, flow_id, source_id, external_thread_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(id, m.flowId, m.sourceId, m.externalThreadId ?? null, m.thread.title, at, at);
      thread = threadById.get(id)!;
    }
    if (m.thread) applyThreadState(thread, m.thread, at);
    else db.prepare("UPDATE threads SET updated_at = ?, updated_seq = ? WHERE id = ?").run(at, nextSeq(), thread.id);
    const id = db.prepare(`
      INSERT INTO messages (flow_id, thread_id, source_id, event, title, body, author, tags, uuid, external_thread_id, thread, sent)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      m.flowId, thread.id, m.sourceId, m.event, m.title ?? null, m.body ?? null, json(m.author), JSON.stringify(m.tags),
      m.uuid ?? null, thread.external_thread_id, json(m.thread), now()).lastInsertRowid;
    return { kind: "stored", message: messageById.get(Number(id))!, duplicate: false };
  });

  return {
    post: (m: NewMessage) => post.immediate(m),
    messageById: (id: number) => messageById.get(id),
    /** As the hosted API: with since_id the next `limit` after it, else the latest `limit`; oldest first either way. */
    messages(flowId: string, options: { sinceId?: number | undefined; limit: number }): MessageRow[] {
      if (options.sinceId !== undefined) {
        return db.prepare<[string, number, number], MessageRow>("SELECT * FROM messages WHERE flow_id = ? AND id > ? ORDER BY id LIMIT ?")
          .all(flowId, options.sinceId, options.limit);
      }
      return db.prepare<[string, number], MessageRow>("SELECT * FROM messages WHERE flow_id = ? ORDER BY id DESC LIMIT ?")
        .all(flowId, options.limit).reverse();
    },
    threads: (flowId: string, limit = 100) =>
      db.prepare<[string, number], ThreadRow>("SELECT * FROM threads WHERE flow_id = ? AND app = 'influx' ORDER BY updated_seq DESC LIMIT ?").all(flowId, limit),
    thread: (flowId: string, id: string) => {
      const t = threadById.get(id);
      return t && t.flow_id === flowId ? t : undefined;
    },
    threadMessages: (threadId: string) => db.prepare<[string], MessageRow>("SELECT * FROM messages WHERE thread_id = ? ORDER BY id").all(threadId),
  };
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export type InboxRepository = ReturnType<typeof inboxRepository>;
