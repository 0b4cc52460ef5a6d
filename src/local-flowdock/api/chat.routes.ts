// Writing as a person (messages.md): chat messages, statuses, replies in a thread
// and comments, by any of the REST authentications; showing, editing and deleting
// one message. Every write goes through store.chat, never SQL here.
import { Router, type Request, type Response } from "express";
import type { SimulatorContext } from "../context.ts";
import { authenticate, callerOf } from "./authenticate.ts";
import { visibleFlow } from "./flows.routes.ts";
import { apiMessageJson, flowApiUrl } from "./serializers.ts";
import { ApiError, notFound, validationError } from "./api-error.ts";
import { parseInput, params } from "./input.ts";
import { editInput, userPostInput } from "./chat-input.ts";
import { normalizeTags, tagList } from "./tags.ts";
import type { ChatOutcome } from "../store/chat.repository.ts";
import type { MessageRow } from "../store/inbox.repository.ts";
import type { FlowWithOrganization } from "../store/directory.repository.ts";

// authentication.md: `flow` is "Read and send messages to flows".
const WRITE_SCOPES = ["flow"];
const READ_SCOPES = ["flow", "manage"];

export function chatRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;
  const write = [ctx.faults.middleware("messages"), authenticate(ctx, WRITE_SCOPES)];
  const read = authenticate(ctx, READ_SCOPES);

  const show = (m: MessageRow) => apiMessageJson(store, m);

  function postAs(req: Request, res: Response, flow: FlowWithOrganization, fromPath: { threadId?: string; parentId?: number } = {}) {
    const { user } = callerOf(res);
    const limited = ctx.rateLimiter.take(`user:${user.id}`);
    if (limited) throw new ApiError(429, "Too many requests", undefined, { "Retry-After": String(limited.retryAfterSeconds) });
    const body = { ...(req.body as object ?? {}), ...(fromPath.parentId !== undefined ? { message: fromPath.parentId, event: (req.body as { event?: unknown })?.event ?? "comment" } : {}) };
    const input = parseInput(userPostInput, body);
    const members = store.directory.flowMembers(flow.id);
    const outcome = store.chat.post({
      flowId: flow.id, event: input.event, content: input.content, userId: user.id,
      tags: normalizeTags(input.tags, { members, authorId: user.id }, input.content),
      uuid: input.uuid, threadId: fromPath.threadId ?? input.thread_id, parentId: input.message,
      externalUserName: input.external_user_name,
    });
    answer(req, res, flow, outcome);
  }

  function answer(req: Request, res: Response, flow: FlowWithOrganization, outcome: ChatOutcome) {
    if (outcome.kind === "unknown_thread") throw validationError({ thread_id: ["names no thread in this flow"] });
    if (outcome.kind === "unknown_parent") throw validationError({ message: ["names no message in this flow"] });
    if (outcome.kind === "parent_is_comment") throw validationError({ message: ["is a comment; comment the message it comments instead"] });
    if (req.get("x-flowdock-wait-for-message") === "true") {
      res.set("Link", `<${flowApiUrl(ctx.baseUrl(), flow)}/messages/${outcome.message.id}/comments>; rel="comments"`);
      res.status(200).json(show(outcome.message));
      return;
    }
    res.status(202).json({});
  }

  const flowOf = (req: Request, res: Response) => visibleFlow(ctx, res, params(req).organization, params(req).flow);

  // The Node.js client and older callers name the flow by id in the body.
  router.post("/messages", ...write, (req, res) => {
    postAs(req, res, flowById(req.body?.flow, res));
  });
  router.post("/comments", ...write, (req, res) => {
    postAs(req, res, flowById(req.body?.flow, res), { parentId: messageIdOf(req.body?.message) });
  });
  router.post("/flows/:organization/:flow/messages", ...write, (req, res) => {
    postAs(req, res, flowOf(req, res));
  });
  router.post("/flows/:organization/:flow/threads/:id/messages", ...write, (req, res) => {
    const flow = flowOf(req, res);
    if (!store.inbox.thread(flow.id, params(req).id)) throw notFound();
    postAs(req, res, flow, { threadId: params(req).id });
  });
  router.post("/flows/:organization/:flow/messages/:id/comments", ...write, (req, res) => {
    postAs(req, res, flowOf(req, res), { parentId: messageIdOf(params(req).id) });
  });

  const messageIn = (req: Request, res: Response) => {
    const flow = flowOf(req, res);
    const id = params(req).id;
    const message = /^\d+$/.test(id) ? store.chat.message(flow.id, Number(id)) : undefined;
    if (!message) throw notFound();
    return { flow, message };
  };

  router.get("/flows/:organization/:flow/messages/:id", read, (req, res) => {
    res.json(show(messageIn(req, res).message));
  });

  router.put("/flows/:organization/:flow/messages/:id", ...write, (req, res) => {
    const { flow, message } = messageIn(req, res);
    const input = parseInput(editInput, req.body);
    const own = message.user_id === callerOf(res).user.id && (message.event === "message" || message.event === "comment");
    // messages.md: content only of one's own message or comment; tags of any message one can see.
    if (input.content !== undefined && !own) throw new ApiError(403, "Only the content of your own messages and comments can be edited");
    const members = store.directory.flowMembers(flow.id);
    const content = input.content ?? message.content;
    const tags = input.tags !== undefined
      ? normalizeTags(tagList(input.tags), { members, authorId: message.user_id }, message.app === "chat" ? content : null)
      : undefined;
    store.chat.edit(message.id, { content: input.content, tags });
    res.json({});
  });

  router.delete("/flows/:organization/:flow/messages/:id", ...write, (req, res) => {
    const { message } = messageIn(req, res);
    const own = message.user_id === callerOf(res).user.id;
    if (message.app === "influx") {
      store.chat.remove(message.id);
      res.status(204).end();
    } else if (own && (message.event === "message" || message.event === "comment")) {
      store.chat.truncate(message.id);
      res.status(200).json({});
    } else {
      throw new ApiError(403, "Only your own chat messages and team-inbox posts can be deleted");
    }
  });

  function flowById(id: unknown, res: Response) {
    if (typeof id !== "string" || id === "") throw validationError({ flow: ["is required: the id of the flow"] });
    const flow = store.directory.flowById(id);
    if (!flow || !store.directory.canSee(callerOf(res).user.id, flow.id)) throw notFound();
    return flow;
  }

  return router;
}

function messageIdOf(value: unknown): number {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw validationError({ message: ["must be the id of the commented message"] });
  return n;
}
