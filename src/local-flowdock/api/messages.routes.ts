// Posting to a flow's team inbox with a flow_token, and reading the flow back
// with a user's token (contract section 5).
import { Router } from "express";
import type { SimulatorContext } from "../context.ts";
import { authenticate } from "./authenticate.ts";
import { visibleFlow } from "./flows.routes.ts";
import { messageJson, threadJson } from "./serializers.ts";
import { ApiError, notFound, validationError } from "./api-error.ts";
import { parseInput, params } from "./input.ts";
import { flowTokenOf, sourceByFlowToken } from "./flow-token.ts";
import { messageInput } from "./message-input.ts";

const READ_SCOPES = ["flow", "manage"];

export function messagesRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;

  router.post("/messages", ctx.faults.middleware("messages"), (req, res) => {
    const token = flowTokenOf(req);
    const source = sourceByFlowToken(store, token);
    const limited = ctx.rateLimiter.take(token!);
    if (limited) throw new ApiError(429, "Too many requests", undefined, { "Retry-After": String(limited.retryAfterSeconds) });
    const input = parseInput(messageInput, req.body);
    const outcome = store.inbox.post({
      flowId: source.flow_id, sourceId: source.id, event: input.event, title: input.title, body: input.body,
      author: input.author, tags: input.tags, uuid: input.uuid,
      externalThreadId: input.external_thread_id, threadId: input.thread_id, thread: input.thread,
    });
    if (outcome.kind === "unknown_thread") throw validationError({ thread_id: ["names no thread in this flow"] });
    if (outcome.kind === "thread_required") throw validationError({ thread: ["is required to start a new thread"] });
    if (req.get("x-flowdock-wait-for-message") === "true") {
      res.status(200).json(messageJson(outcome.message));
      return;
    }
    res.status(202).json({});
  });

  const auth = authenticate(ctx, READ_SCOPES);

  router.get("/flows/:organization/:flow/messages", auth, (req, res) => {
    const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
    const sinceId = optionalInteger(req.query.since_id, "since_id", 0);
    const limit = optionalInteger(req.query.limit, "limit", 1, 100) ?? 30;
    res.json(store.inbox.messages(flow.id, { sinceId, limit }).map(messageJson));
  });

  router.get("/flows/:organization/:flow/threads", auth, (req, res) => {
    const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
    const limit = optionalInteger(req.query.limit, "limit", 1, 100) ?? 30;
    res.json(store.inbox.threads(flow.id, limit).map((t) => threadJson(ctx.baseUrl(), store, t)));
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
    res.json(store.inbox.threadMessages(thread.id).map(messageJson));
  });

  return router;
}

function optionalInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw validationError({ [name]: [`must be a whole number from ${min} to ${max}`] });
  return n;
}
