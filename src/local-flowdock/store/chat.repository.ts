// Messages people write (chat `message`, `status`, `comment`) and anonymous chat
// messages posted with a flow token, plus what anyone may do to a message
// afterwards (edit, delete) and the filtered listing of a flow's messages.
// Every message lives in a thread: a chat message posted without one starts its
// own (app "chat"), as on the hosted service.
import { randomToken } from "../../crypto/random.ts";
import type { SqliteDatabase } from "./database.ts";
import type { MessageRow, ThreadRow } from "./inbox.repository.ts";

export type ChatMessageRow = MessageRow;

export interface NewChatMessage {
  flowId: string; event: "message" | "status" | "comment"; content: string; tags: string[];
  userId: number | null; sourceId?: number | undefined; externalUserName?: string | undefined;
  uuid?: string | undefined; threadId?: string | undefined;
  /** For comments: the commented message's id. */
  parentId?: number | undefined;
}

export type ChatOutcome =
  | { kind: "stored"; message: ChatMessageRow; duplicate: boolean }
  | { kind: "unknown_thread" }
  | { kind: "unknown_parent" }
  | { kind: "parent_is_comment" };

export interface MessageFilter {
  events?: string[] | undefined; sinceId?: number | undefined; untilId?: number | undefined;
  tags?: string[] | undefined; tagMode?: "and" | "or"; search?: string[] | undefined;
  sort: "asc" | "desc"; skip: number; limit: number; threadId?: string | undefined;
}

export interface ThreadFilter {
  since?: string | undefined; until?: string | undefined; application?: "chat" | "inbox" | number | undefined;
  empty: boolean; limit: number;
}

const TITLE_MAX = 255;

export function chatRepository(db: SqliteDatabase, now: () => number) {
  const messageById = db.prepare<[number], ChatMessageRow>("SELECT * FROM messages WHERE id = ?");
  const messageByUuid = db.prepare<[string, string], ChatMessageRow>("SELECT * FROM messages WHERE flow_id = ? AND uuid = ?");
  const threadById = db.prepare<[string], ThreadRow>("SELECT * FROM threads WHERE id = ?");
  const nextSeq = () => ((db.prepare<[], { s: number | null }>("SELECT MAX(updated_seq) AS s FROM threads").get()?.s ?? 0) + 1);

  const post = db.transaction((m: NewChatMessage): ChatOutcome => {
    if (m.uuid) {
      const repeat = messageByUuid.get(m.flowId, m.uuid);
      if (repeat) return { kind: "stored", message: repeat, duplicate: true };
    }
    const at = new Date(now()).toISOString();
    let tags = m.tags;
    let threadId = m.threadId;
    if (m.event === "comment") {
      const parent = m.parentId !== undefined ? messageById.get(m.parentId) : undefined;
      if (!parent || parent.flow_id !== m.flowId) return { kind: "unknown_parent" };
      if (parent.event === "comment") return { kind: "parent_is_comment" };
      threadId = parent.thread_id;
      // tags.md: a comment carries `influx:<parent id>`.
      tags = [...new Set([...tags, `influx:${parent.id}`])];
    }
    if (threadId) {
      const thread = threadById.get(threadId);
      if (!thread || thread.flow_id !== m.flowId) return { kind: "unknown_thread" };
      db.prepare("UPDATE threads SET updated_at = ?, updated_seq = ? WHERE id = ?").run(at, nextSeq(), thread.id);
    } else {
      threadId = randomToken(12);
      db.prepare(`INSERT INTO threads (id, flow_id, source_id, title, created_at, updated_at, updated_seq, app) VALUES (?, ?, ?, ?, ?, ?, ?, 'chat')`)
        .run(threadId, m.flowId, m.sourceId ?? null, m.content.slice(0, TITLE_MAX), at, at, nextSeq());
    }
    const id = db.prepare(`
      INSERT INTO messages (flow_id, thread_id, source_id, event, tags, uuid, sent, user_id, content, app, parent_id, external_user_name)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'chat', ?, ?)`).run(
      m.flowId, threadId, m.sourceId ?? null, m.event, JSON.stringify(tags), m.uuid ?? null, now(), m.userId,
      m.content, m.parentId ?? null, m.externalUserName ?? null).lastInsertRowid;
    return { kind: "stored", message: messageById.get(Number(id))!, duplicate: false };
  });

  return {
    post: (m: NewChatMessage) => post.immediate(m),
    message: (flowId: string, id: number) => {
      const m = messageById.get(id);
      return m && m.flow_id === flowId ? m : undefined;
    },
    /** Replaces content and/or tags; `edited_at` records when. */
    edit(id: number, changes: { content?: string | undefined; tags?: string[] | undefined }): ChatMessageRow {
      const m = messageById.get(id)!;
      db.prepare("UPDATE messages SET content = ?, tags = ?, edited_at = ? WHERE id = ?").run(
        changes.content ?? m.content, changes.tags ? JSON.stringify(changes.tags) : m.tags, now(), id);
      return messageById.get(id)!;
    },
    /** messages.md: chat messages are truncated (content emptied), others removed. */
    truncate: (id: number) => { db.prepare("UPDATE messages SET content = '', tags = '[]', edited_at = ? WHERE id = ?").run(now(), id); },
    remove: (id: number) => { db.prepare("DELETE FROM messages WHERE id = ?").run(id); },

    /** threads.md: activities, chat messages (internal) and discussions (external) in a thread. */
    threadCounts: (threadId: string) => db.prepare<[string], { activities: number; internal_comments: number; external_comments: number }>(`
      SELECT count(*) FILTER (WHERE event = 'activity') AS activities,
             count(*) FILTER (WHERE event IN ('message', 'comment')) AS internal_comments,
             count(*) FILTER (WHERE event = 'discussion') AS external_comments
      FROM messages WHERE thread_id = ?`).get(threadId)!,

    /** threads.md's list: newest first, by update time, application and emptiness. */
    threads(flowId: string, f: ThreadFilter): ThreadRow[] {
      const where = ["t.flow_id = @flow"];
      const args: Record<string, unknown> = { flow: flowId, limit: f.limit };
      if (f.since) { where.push("t.updated_at > @since"); args.since = f.since; }
      if (f.until) { where.push("t.updated_at < @until"); args.until = f.until; }
      if (f.application === "chat") where.push("t.app = 'chat'");
      else if (f.application === "inbox") where.push("t.app = 'influx'");
      else if (typeof f.application === "number") {
        where.push("EXISTS (SELECT 1 FROM sources s WHERE s.id = t.source_id AND s.application_id = @app)");
        args.app = f.application;
      }
      if (!f.empty) where.push("EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id)");
      return db.prepare<Record<string, unknown>, ThreadRow>(
        `SELECT t.* FROM threads t WHERE ${where.join(" AND ")} ORDER BY t.updated_seq DESC LIMIT @limit`).all(args);
    },

    /** The filtered page of a flow's (or a thread's) messages, always oldest first. */
    list(flowId: string, f: MessageFilter): ChatMessageRow[] {
      const where = ["flow_id = @flow"];
      const args: Record<string, unknown> = { flow: flowId, limit: f.limit, skip: f.skip };
      if (f.threadId !== undefined) { where.push("thread_id = @thread"); args.thread = f.threadId; }
      if (f.events?.length) {
        where.push(`event IN (${f.events.map((_, i) => `@event${i}`).join(", ")})`);
        f.events.forEach((e, i) => { args[`event${i}`] = e; });
      }
      if (f.sinceId !== undefined) { where.push("id > @since"); args.since = f.sinceId; }
      if (f.untilId !== undefined) { where.push("id < @until"); args.until = f.untilId; }
      if (f.tags?.length) {
        const each = f.tags.map((t, i) => {
          args[`tag${i}`] = t;
          return `EXISTS (SELECT 1 FROM json_each(messages.tags) WHERE lower(value) = @tag${i})`;
        });
        where.push(`(${each.join(f.tagMode === "or" ? " OR " : " AND ")})`);
      }
      for (const [i, word] of (f.search ?? []).entries()) {
        // LIKE with the word escaped; case-insensitive for ASCII as SQLite's LIKE is.
        args[`word${i}`] = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        where.push(`(coalesce(content, '') || ' ' || coalesce(title, '') || ' ' || coalesce(body, '')) LIKE @word${i} ESCAPE '\\'`);
      }
      const rows = db.prepare<Record<string, unknown>, ChatMessageRow>(
        `SELECT * FROM messages WHERE ${where.join(" AND ")} ORDER BY id ${f.sort === "asc" ? "ASC" : "DESC"} LIMIT @limit OFFSET @skip`).all(args);
      return f.sort === "asc" ? rows : rows.reverse();
    },
  };
}

export type ChatRepository = ReturnType<typeof chatRepository>;
