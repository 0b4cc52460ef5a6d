// Pressing a thread's action in the team inbox: the local Flowdock's server
// sends the request (actions/send-action.ts) and the inbox then shows, on that
// thread, what came of it: done, refused with the integration's message, or
// a link to sign in to the integration.
import { Router } from "express";
import type { SimulatorContext } from "../context.ts";
import { csrf } from "./web-session.ts";
import { currentUser, requireUser } from "./current-user.ts";
import { sendAction, type ActionOutcome, type UpdateAction } from "../actions/send-action.ts";

declare module "express-session" {
  interface SessionData {
    actionOutcome?: ActionOutcome & { threadId: string; actionName: string; applicationName: string };
  }
}

export function threadActionsRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;

  router.post("/app/:organization/:flow/threads/:threadId/actions/:index", requireUser, csrf.csrfSynchronisedProtection, async (req, res) => {
    const p = req.params as Record<"organization" | "flow" | "threadId" | "index", string>;
    const user = currentUser(res);
    const flow = store.directory.flowByPath(p.organization, p.flow);
    if (!flow || !store.directory.canSee(user.id, flow.id)) {
      res.status(404).render("error", { title: "Flow not found", message: "There is no such flow, or you are not in it." });
      return;
    }
    const thread = store.inbox.thread(flow.id, p.threadId);
    const actions = thread?.actions ? (JSON.parse(thread.actions) as { "@type"?: string }[]) : [];
    const action = /^\d{1,2}$/.test(p.index) ? actions[Number(p.index)] : undefined;
    const source = thread?.source_id ? store.sources.byIdEvenDeleted(thread.source_id) : undefined;
    const application = source ? store.applications.byId(source.application_id) : undefined;
    if (!thread || action?.["@type"] !== "UpdateAction" || !application) {
      res.status(404).render("error", { title: "Action not found", message: "This thread no longer offers that action. Reload the team inbox." });
      return;
    }
    const outcome = await sendAction(action as UpdateAction, user, application.client_secret, ctx.now(), ctx.options.actionTimeoutMs);
    ctx.logger.info({ threadId: thread.id, action: (action as UpdateAction).name, outcome: outcome.kind }, "thread action sent");
    req.session.actionOutcome = { ...outcome, threadId: thread.id, actionName: (action as UpdateAction).name, applicationName: application.name };
    res.redirect(303, `/app/${flow.organization.parameterized_name}/${flow.parameterized_name}#thread-${thread.id}`);
  });

  return router;
}
