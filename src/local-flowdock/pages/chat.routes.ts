// What a signed-in person writes in a flow from its pages: a chat message, a
// reply in a chat thread, a comment on a team inbox thread. Plain forms with
// CSRF that redirect back (303), so the pages work without any script; the
// live script (public/flow-live.js) only saves the reload.
import { Router, type Request, type Response } from "express";
import type { SimulatorContext } from "../context.ts";
import type { FlowWithOrganization } from "../store/directory.repository.ts";
import { csrf } from "./web-session.ts";
import { currentUser, requireUser } from "./current-user.ts";
import { renderMessage, renderTitle } from "./sanitize.ts";
import { flowPageModel, flowPath, threadPageModel } from "./flow-view.ts";

// Flowdock's chat took long messages; this bounds one row, well under the body limit.
export const MAX_MESSAGE_LENGTH = 8000;

type Params = Record<"organization" | "flow" | "threadId", string>;

function contentOf(req: Request): { content: string; error: string | null } {
  const raw = (req.body as Record<string, unknown> | undefined)?.content;
  const content = typeof raw === "string" ? raw.replace(/\r\n/g, "\n") : "";
  if (content.trim() === "") return { content, error: "Write a message first." };
  if (content.length > MAX_MESSAGE_LENGTH) return { content, error: `That is ${content.length.toLocaleString("en")} characters; a message can have up to ${MAX_MESSAGE_LENGTH.toLocaleString("en")}.` };
  return { content: content.trim(), error: null };
}

export function chatPagesRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;

  function flowFor(req: Request, res: Response): FlowWithOrganization | undefined {
    const p = req.params as Params;
    const flow = store.directory.flowByPath(p.organization, p.flow);
    if (flow && store.directory.canSee(currentUser(res).id, flow.id)) return flow;
    res.status(404).render("error", { title: "Flow not found", message: "There is no such flow, or you are not in it." });
    return undefined;
  }

  function threadFor(req: Request, res: Response, flow: FlowWithOrganization) {
    const thread = store.inbox.thread(flow.id, (req.params as Params).threadId);
    if (!thread) res.status(404).render("error", { title: "Thread not found", message: "There is no such thread in this flow." });
    return thread;
  }

  router.get("/app/:organization/:flow/threads/:threadId", requireUser, (req, res) => {
    const flow = flowFor(req, res);
    const thread = flow && threadFor(req, res, flow);
    if (!flow || !thread) return;
    res.render("thread", { title: `${thread.title} · ${flow.name}`, ...threadPageModel(ctx, req, flow, thread), renderTitle, renderMessage, replyError: null, replyDraft: "" });
  });

  router.post("/app/:organization/:flow/messages", requireUser, csrf.csrfSynchronisedProtection, (req, res) => {
    const flow = flowFor(req, res);
    if (!flow) return;
    const { content, error } = contentOf(req);
    if (error) {
      res.status(400).render("inbox", { title: `${flow.name} · Team inbox`, ...flowPageModel(ctx, req, flow), renderTitle, renderMessage, actionOutcome: null, chatError: error, chatDraft: content });
      return;
    }
    store.chat.post({ flowId: flow.id, userId: currentUser(res).id, event: "message", content, tags: [] });
    res.redirect(303, `${flowPath(flow)}#chat`);
  });

  // On a chat thread this is a reply (a message in the thread); on a team inbox
  // thread it is a comment, as Flowdock's own web app posted them.
  router.post("/app/:organization/:flow/threads/:threadId/messages", requireUser, csrf.csrfSynchronisedProtection, (req, res) => {
    const flow = flowFor(req, res);
    const thread = flow && threadFor(req, res, flow);
    if (!flow || !thread) return;
    const { content, error } = contentOf(req);
    if (error) {
      res.status(400).render("thread", { title: `${thread.title} · ${flow.name}`, ...threadPageModel(ctx, req, flow, thread), renderTitle, renderMessage, replyError: error, replyDraft: content });
      return;
    }
    const userId = currentUser(res).id;
    if (thread.app === "chat") store.chat.post({ flowId: flow.id, userId, event: "message", content, tags: [], threadId: thread.id });
    // A comment names the item it comments on: the thread's first message, the one that opened it.
    else store.chat.post({ flowId: flow.id, userId, event: "comment", content, tags: [], parentId: store.flowPages.firstMessageId(thread.id) });
    res.redirect(303, `${flowPath(flow)}/threads/${thread.id}#reply`);
  });

  return router;
}
