// The Push API (docs/push.md, team-inbox.md), deprecated by Flowdock in favour
// of POST /messages and answered here with a Deprecation header pointing there,
// and the older integration guide's POST /activities. A push is authenticated
// by the flow's API token in the path (no user); bodies are JSON or form
// fields, and the Content-Type must say which (docs/push.md: "must always be
// specified").
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { SimulatorContext } from "../context.ts";
import { ApiError, validationError } from "../api/api-error.ts";
import { parseInput } from "../api/input.ts";
import { flowTokenOf, sourceByFlowToken } from "../api/flow-token.ts";
import { messageInput } from "../api/message-input.ts";
import { apiMessageJson } from "../api/serializers.ts";
import { normalizeTags, tagList } from "../api/tags.ts";
import { randomToken } from "../../crypto/random.ts";
import { flowByApiToken } from "./flow-api-token.ts";

const label = z.string().trim().min(1, "can't be blank").max(255).regex(/^[\p{L}\p{N}_ ]+$/u, "may hold only letters, digits, underscores and spaces");
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048);

const teamInboxInput = z.object({
  source: label,
  from_address: z.email("must be an email address"),
  subject: z.string().trim().min(1, "can't be blank").max(1000),
  content: z.string().trim().min(1, "can't be blank").max(65536),
  from_name: z.string().max(255).optional(),
  reply_to: z.email("must be an email address").optional(),
  project: label.optional(),
  format: z.literal("html", "only html is supported").optional(),
  tags: z.union([z.array(z.string().max(100)).max(100), z.string().max(2000)]).optional(),
  link: httpUrl.optional(),
});

const chatInput = z.object({
  content: z.string().trim().min(1, "can't be blank").max(8096, "is too long (at most 8096 characters)"),
  // Hosted Flowdock refused names with whitespace here; the docs are silent.
  external_user_name: z.string().trim().min(1, "can't be blank").max(255).regex(/^\S+$/u, "can't contain spaces"),
  tags: z.union([z.array(z.string().max(100)).max(100), z.string().max(2000)]).optional(),
  message_id: z.coerce.number().int().positive().optional(),
});

function requireBodyType(req: Request) {
  if (!req.is(["application/json", "application/x-www-form-urlencoded"])) {
    throw new ApiError(415, "Content-Type must be application/json or application/x-www-form-urlencoded");
  }
}

function deprecated(res: Response, base: string) {
  res.set({ Deprecation: "true", Link: `<${base}/messages>; rel="successor-version"` });
}

export function pushRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;

  router.post("/v1/messages/team_inbox/:token", (req, res) => {
    deprecated(res, ctx.baseUrl());
    const flow = flowByApiToken(store, ctx.options.sessionSecret, String(req.params.token));
    if (!flow) throw new ApiError(404, "No flow has this API token");
    requireBodyType(req);
    const input = parseInput(teamInboxInput, req.body);
    const fields = [{ label: "Source", value: input.source }, ...(input.project ? [{ label: "Project", value: input.project }] : [])];
    // Each push is an item of its own in the team inbox, as mail-like messages were.
    store.inbox.post({
      flowId: flow.id, sourceId: null, event: "mail", title: input.subject, body: input.content,
      author: { name: input.from_name || input.from_address, email: input.from_address, ...(input.reply_to ? { reply_to: input.reply_to } : {}) },
      tags: normalizeTags(tagList(input.tags), { members: store.directory.flowMembers(flow.id) }), externalThreadId: `push:${randomToken(12)}`,
      thread: { title: input.subject, body: input.content, external_url: input.link, fields },
    });
    res.status(200).json({});
  });

  // Chat from an "external user" (docs/chat.md), stored as chat.routes.ts stores
  // a person's: a message starts a thread of its own; with message_id it is a
  // comment in the commented message's thread.
  router.post("/v1/messages/chat/:token", (req, res) => {
    deprecated(res, ctx.baseUrl());
    const flow = flowByApiToken(store, ctx.options.sessionSecret, String(req.params.token));
    if (!flow) throw new ApiError(404, "No flow has this API token");
    requireBodyType(req);
    const input = parseInput(chatInput, req.body);
    const outcome = store.chat.post({
      flowId: flow.id, event: input.message_id === undefined ? "message" : "comment", content: input.content, userId: null,
      externalUserName: input.external_user_name, parentId: input.message_id,
      // "Tags will be automatically parsed from the message content" (docs/chat.md).
      tags: normalizeTags(tagList(input.tags), { members: store.directory.flowMembers(flow.id) }, input.content),
    });
    if (outcome.kind === "unknown_parent") throw validationError({ message_id: ["names no message in this flow"] });
    if (outcome.kind === "parent_is_comment") throw validationError({ message_id: ["is a comment, and comments can't be commented"] });
    res.status(200).json({});
  });

  // The older integration guide posted items to /activities: the fields of an
  // activity, where `thread_id` is the item's own id in the integration (what
  // POST /messages calls external_thread_id), not a Flowdock thread id.
  router.post("/activities", ctx.faults.middleware("messages"), (req, res) => {
    deprecated(res, ctx.baseUrl());
    const token = flowTokenOf(req);
    const source = sourceByFlowToken(store, token);
    const limited = ctx.rateLimiter.take(token!);
    if (limited) throw new ApiError(429, "Too many requests", undefined, { "Retry-After": String(limited.retryAfterSeconds) });
    const body = { ...(req.body as Record<string, unknown> | undefined) };
    if (body.external_thread_id === undefined) body.external_thread_id = body.thread_id;
    delete body.thread_id;
    body.event ??= "activity";
    const input = parseInput(messageInput, body);
    const outcome = store.inbox.post({
      flowId: source.flow_id, sourceId: source.id, event: input.event, title: input.title, body: input.body,
      author: input.author, tags: input.tags, uuid: input.uuid, externalThreadId: input.external_thread_id, thread: input.thread,
    });
    if (outcome.kind === "thread_required") throw validationError({ thread: ["is required to start a new thread"] });
    if (outcome.kind !== "stored") throw validationError({ thread_id: ["names no item of this source"] });
    res.status(200).json(apiMessageJson(store, outcome.message));
  });

  return router;
}
