// What a flow event looks like on the stream. Chat messages, comments and
// team-inbox posts are the stored message itself (docs/message-types.md);
// edits, deletes and tag changes are the documented message-edit, tag-change
// and (undocumented but real) message-delete events. Thread and source changes
// have no documented type: they go out as `thread-change` and `source-error`,
// which the docs' "undocumented internal message types exist" tells clients to
// skip if they don't know them, and which the flow page uses to stay current.
// Those events have no message of their own, so their `id` is the event's id
// in the log (the SSE id), which may equal some message's id: clients key
// messages by (event, id), as message-edit's own `content.message` does.
import type { Store } from "../store/store.ts";
import type { FlowEventRow } from "../store/flow-events.repository.ts";
import { apiMessageJson, messageJson, sourceJson, threadJson } from "../api/serializers.ts";

function envelope(e: FlowEventRow, event: string, content: unknown, extra: Record<string, unknown> = {}) {
  return {
    id: e.id, event, flow: e.flow_id, content, sent: e.at, created_at: new Date(e.at).toISOString(),
    app: null, user: "0", tags: [], uuid: null, attachments: [], ...extra,
  };
}

/** The event as JSON, or undefined when what it describes is gone (a message deleted since). */
export function renderFlowEvent(base: string, store: Store, e: FlowEventRow): Record<string, unknown> | undefined {
  const message = e.message_id !== null ? store.inbox.messageById(e.message_id) : undefined;
  switch (e.kind) {
    case "message":
      return message && apiMessageJson(store, message);
    case "message-edit": {
      if (!message) return undefined;
      const json = messageJson(message) as Record<string, unknown>;
      return envelope(e, "message-edit", { message: message.id, updated_content: json.content ?? json.body ?? null }, { thread_id: e.thread_id });
    }
    case "tag-change": {
      if (!message) return undefined;
      const before = new Set<string>(JSON.parse(e.detail ?? "[]") as string[]);
      const after = new Set<string>(JSON.parse(message.tags) as string[]);
      return envelope(e, "tag-change", {
        message: message.id, add: [...after].filter((t) => !before.has(t)), remove: [...before].filter((t) => !after.has(t)),
      });
    }
    case "message-delete":
      return envelope(e, "message-delete", { message: e.message_id }, { thread_id: e.thread_id });
    case "thread-change": {
      const thread = e.thread_id ? store.inbox.thread(e.flow_id, e.thread_id) : undefined;
      return thread && envelope(e, "thread-change", threadJson(base, store, thread), { thread_id: thread.id });
    }
    case "source-error": {
      const source = e.source_id !== null ? store.sources.byIdEvenDeleted(e.source_id) : undefined;
      return source && envelope(e, "source-error", sourceJson(base, store, source));
    }
    default:
      return undefined;
  }
}
