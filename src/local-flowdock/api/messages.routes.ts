// Posting with a flow_token (team-inbox activities and discussions, and anonymous
// chat messages that name their sender), and reading a flow back with a user's
// credentials: messages and threads with the documented filters (messages.md,
// threads.md; contract section 5).
import { Router, type Request, type Response } from "express";
import type { SimulatorContext } from "../context.ts";
import { authenticate } from "./authenticate.ts";
import { visibleFlow } from "./flows.routes.ts";
import { apiMessageJson, threadJson } from "./serializers.ts";
import type { MessageRow } from "../store/inbox.repository.ts";
import { ApiError, notFound, validationError } from "./api-error.ts";
import { parseInput, params } from "./input.ts";
import { flowTokenOf, sourceByFlowToken } from "./flow-token.ts";
import { messageInput } from "./message-input.ts";
import { flowTokenChatInput } from "./chat-input.ts";
import { filterTags, normalizeTags } from "./tags.ts";
import type { MessageFilter } from "../store/chat.repository.ts";

const READ_SCOPES = ["flow", "manage"];

export function messagesRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;

  router.post("/messages", ctx.faults.middleware("messages"), (req, res, next) => {
    const token = flowTokenOf(req);
    // Without a flow_token, a person posts (chat.routes.ts) with their own credentials.
    if (!token && (req.get("authorization") || req.query.access_token !== undefined)) return next();
    const source = sourceByFlowToken(store, token);
    const limited = ctx.rateLimiter.take(token!);
    if (limited) throw new ApiError(429, "Too many requests", undefined, { "Retry-After": String(limited.retryAfterSeconds) });
    const members = store.directory.flowMembers(source.flow_id);
    if ((req.body as { event?: unknown } | undefined)?.event === "message") {
      const input = parseInput(flowTokenChatInput, req.body);
      const outcome = store.chat.post({
        flowId: source.flow_id, sourceId: source.id, userId: null, event: "message", content: input.content,
        externalUserName: input.external_user_name, tags: normalizeTags(input.tags, { members }, input.content),
        uuid: input.uuid, threadId: input.thread_id,
      });
      if (outcome.kind !== "stored") throw validationError({ thread_id: ["names no thread in this flow"] });
      answer(req, res, outcome.message);
      return;
    }
    const input = parseInput(messageInput, req.body);
    const outcome = store.inbox.post({
      flowId: source.flow_id, sourceId: source.id, event: input.event, title: input.title, body: input.body,
      author: input.author, tags: normalizeTags(input.tags, { members }), uuid: input.uuid,
      externalThreadId: input.external_thread_id, threadId: input.thread_id, thread: input.thread,
    });
    if (outcome.kind === "unknown_thread") throw validationError({ thread_id: ["names no thread in this flow"] });
    if (outcome.kind === "thread_required") throw validationError({ thread: ["is required to start a new thread"] });
    answer(req, res, outcome.message);
  });

  function answer(req: Request, res: Response, message: MessageRow) {
    if (req.get("x-flowdock-wait-for-message") === "true") {
      res.status(200).json(apiMessageJson(store, message));
      return;
    }
    res.status(202).json({});
  }

  const auth = authenticate(ctx, READ_SCOPES);

  router.get("/flows/:organization/:flow/messages", auth, (req, res) => {
    const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
    res.json(store.chat.list(flow.id, messageFilter(req, store.directory.flowMembers(flow.id))).map((m) => apiMessageJson(store, m)));
  });

  router.get("/flows/:organization/:flow/threads", auth, (req, res) => {
    const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
    const limit = optionalInteger(req.query.limit, "limit", 1, 100) ?? 30;
    const application = req.query.application;
    if (application !== undefined && (typeof application !== "string" || !/^(chat|inbox|\d+)$/.test(application))) {
      throw validationError({ application: ["must be an application id, chat or inbox"] });
    }
    const threads = store.chat.threads(flow.id, {
      since: isoDate(req.query.since, "since"), until: isoDate(req.query.until, "until"), limit,
      application: application === undefined ? undefined : /^\d+$/.test(application) ? Number(application) : (application as "chat" | "inbox"),
      empty: req.query.empty === "1",
    });
    // threads.md: a Link to the next (older) page, by `until`.
    const last = threads.at(-1);
    if (threads.length === limit && last) {
      const next = new URL(`${ctx.baseUrl()}${req.path}`);
      for (const [k, v] of Object.entries(req.query)) if (typeof v === "string" && k !== "until" && k !== "access_token") next.searchParams.set(k, v);
      next.searchParams.set("until", last.updated_at);
      res.set("Link", `<${next.toString()}>; rel="next"`);
    }
    res.json(threads.map((t) => threadJson(ctx.baseUrl(), store, t)));
  });

  router.get("/flows/:organization/:flow/threads/:id", auth, (req, res) => {
    const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
    const thread = store.inbox.thread(flow.id, params(req).id);
    if (!thread) throw notFound();
    res.json(threadJson(ctx.baseUrl(), store, thread));
  });

  router.get("/flows/:organization/:flow/threads/:id/messages", auth, (req, res) => {
    const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
    const thread = store.inbox.thread(flow.id, params(req).id);
    if (!thread) throw notFound();
    const filter = { ...messageFilter(req, store.directory.flowMembers(flow.id)), threadId: thread.id };
    // A thread's messages were listed whole and oldest first before the filters came: keep that without a limit.
    if (req.query.limit === undefined) filter.limit = 100_000;
    res.json(store.chat.list(flow.id, filter).map((m) => apiMessageJson(store, m)));
  });

  return router;

  function messageFilter(req: Request, members: Parameters<typeof filterTags>[1]): MessageFilter {
    const q = req.query;
    const sinceId = optionalInteger(q.since_id, "since_id", 0);
    const sort = q.sort === undefined ? undefined : q.sort === "asc" || q.sort === "desc" ? q.sort : badSort();
    const tagMode = q.tag_mode === undefined ? "and" : q.tag_mode === "and" || q.tag_mode === "or" ? q.tag_mode : badTagMode();
    return {
      events: typeof q.event === "string" && q.event ? q.event.split(",").map((e) => e.trim()).filter(Boolean) : undefined,
      sinceId,
      untilId: optionalInteger(q.until_id, "until_id", 0),
      tags: typeof q.tags === "string" && q.tags ? filterTags(q.tags, members) : undefined,
      tagMode,
      search: typeof q.search === "string" && q.search.trim() ? q.search.trim().split(/\s+/) : undefined,
      // messages.md: latest first by default; with since_id (catching up) the ones right after it,
      // as this contract always did, unless `sort` says otherwise.
      sort: sort ?? (sinceId !== undefined ? "asc" : "desc"),
      skip: optionalInteger(q.skip, "skip", 0) ?? 0,
      limit: optionalInteger(q.limit, "limit", 1, 100) ?? 30,
    };
  }

}

function badSort(): never {
  throw validationError({ sort: ["must be asc or desc"] });
}
function badTagMode(): never {
  throw validationError({ tag_mode: ["must be and or or"] });
}

function isoDate(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === "string" ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw validationError({ [name]: ["must be an ISO 8601 date"] });
  return date.toISOString();
}

function optionalInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw validationError({ [name]: [`must be a whole number from ${min} to ${max}`] });
  return n;
}
