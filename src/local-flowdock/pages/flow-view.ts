// The flow page and a thread's page as a person sees them: a page of the team
// inbox (newest activity first) with each thread's latest messages, the chat
// beside it, and a thread with its messages a page at a time. Cursors come from
// the query string; anything that is not a cursor is ignored, as links are.
import type { Request } from "express";
import type { SimulatorContext } from "../context.ts";
import type { FlowWithOrganization } from "../store/directory.repository.ts";
import type { MessageRow, ThreadRow } from "../store/inbox.repository.ts";
import { threadJson, messageJson } from "../api/serializers.ts";

export const THREADS_PER_PAGE = 50;
/** How many of a thread's messages the team inbox shows; the thread's page has the rest. */
export const LATEST_MESSAGES_IN_INBOX = 10;
export const MESSAGES_PER_PAGE = 50;
export const CHAT_MESSAGES_PER_PAGE = 50;

export function cursor(value: unknown): number | undefined {
  return typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

export function flowPath(flow: FlowWithOrganization): string {
  return `/app/${flow.organization.parameterized_name}/${flow.parameterized_name}`;
}

/** The EventSource address of the flow's stream (the Streaming API's event-stream form). */
export function streamPath(flow: FlowWithOrganization): string {
  return `/flows/${flow.organization.parameterized_name}/${flow.parameterized_name}?accept=text/event-stream`;
}

/**
 * A message as the pages show it: the API's shape plus who wrote it, by name.
 * Integrations name their author; people are named from the directory; Push
 * API chat messages carry an external user name.
 */
function shownMessages(ctx: SimulatorContext, rows: MessageRow[]) {
  const names = new Map<number, string | undefined>();
  const nameOf = (id: number) => {
    if (!names.has(id)) names.set(id, ctx.store.directory.userById(id)?.name);
    return names.get(id);
  };
  return rows.map((m) => {
    const json = messageJson(m);
    const author = (json as { author?: { name?: string } }).author;
    return { ...json, authorName: author?.name ?? (m.user_id !== null ? nameOf(m.user_id) : undefined) ?? m.external_user_name ?? "" };
  });
}

export function flowPageModel(ctx: SimulatorContext, req: Request, flow: FlowWithOrganization) {
  const { store } = ctx;
  const q = req.query;
  const inboxPage = store.flowPages.inboxThreads(flow.id, { before: cursor(q.before), after: cursor(q.after), limit: THREADS_PER_PAGE });
  const threads = inboxPage.items.reverse().map((t) => {
    const latest = store.flowPages.threadMessages(t.id, { limit: LATEST_MESSAGES_IN_INBOX });
    return { ...threadJson(ctx.baseUrl(), store, t), messages: shownMessages(ctx, latest.items), hasEarlier: latest.older !== null };
  });
  const chat = chatModel(ctx, flow, cursor(q.chat_before));
  // Live updates only where the newest things are shown; older pages say there is news instead.
  const atNewest = inboxPage.newer === null && chat.newer === null;
  return {
    flow, threads, chat, atNewest, base: flowPath(flow), streamUrl: streamPath(flow),
    olderThreads: inboxPage.older, newerThreads: inboxPage.newer, chatBefore: cursor(q.chat_before),
  };
}

function chatModel(ctx: SimulatorContext, flow: FlowWithOrganization, before: number | undefined) {
  const page = ctx.store.flowPages.chatMessages(flow.id, { before, limit: CHAT_MESSAGES_PER_PAGE });
  const threads = ctx.store.flowPages.threadsByIds(page.items.map((m) => m.thread_id));
  const shown = shownMessages(ctx, page.items);
  const messages = page.items.map((m, i) => {
    const thread = threads.get(m.thread_id);
    // A reply or comment names the thread it belongs to; a message that started its own thread doesn't.
    const inThread = thread && !(thread.app === "chat" && isFirstMessage(ctx, thread, m.id)) ? thread : null;
    return { ...shown[i]!, inThread: inThread && { id: inThread.id, title: inThread.title, app: inThread.app } };
  });
  return { messages, older: page.older, newer: page.newer };
}

function isFirstMessage(ctx: SimulatorContext, thread: ThreadRow, messageId: number): boolean {
  return ctx.store.flowPages.threadMessages(thread.id, { limit: 1, after: 0 }).items[0]?.id === messageId;
}

export function threadPageModel(ctx: SimulatorContext, req: Request, flow: FlowWithOrganization, thread: ThreadRow) {
  const q = req.query;
  const page = ctx.store.flowPages.threadMessages(thread.id, { before: cursor(q.before), after: cursor(q.after), limit: MESSAGES_PER_PAGE });
  return {
    flow, base: flowPath(flow), streamUrl: streamPath(flow),
    thread: { ...threadJson(ctx.baseUrl(), ctx.store, thread), app: thread.app },
    messages: shownMessages(ctx, page.items), older: page.older, newer: page.newer, atNewest: page.newer === null,
  };
}
