// What a Flowdock user sees of a flow: the list of their flows, the team inbox
// with the chat beside it (chat.routes.ts takes what people write), and Inbox Settings (sources, errors, Configure, Remove, add integration).
import { Router, type Response } from "express";
import type { SimulatorContext } from "../context.ts";
import { csrf } from "./web-session.ts";
import { currentUser, requireUser } from "./current-user.ts";
import { renderMessage, renderTitle } from "./sanitize.ts";
import { flowPageModel } from "./flow-view.ts";
import { params } from "../api/input.ts";
import { flowApiToken } from "../push/flow-api-token.ts";

export function flowPagesRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;
  router.use("/app", requireUser);

  function flowFor(res: Response, organization: string, name: string) {
    const flow = store.directory.flowByPath(organization, name);
    if (!flow || !store.directory.canSee(currentUser(res).id, flow.id)) return undefined;
    return flow;
  }

  function notFoundPage(res: Response) {
    res.status(404).render("error", { title: "Flow not found", message: "There is no such flow, or you are not in it." });
  }

  router.get("/app", (_req, res) => {
    res.render("flows", { title: "Your flows", flows: store.directory.visibleFlows(currentUser(res).id) });
  });

  router.get("/app/:organization/:flow", (req, res) => {
    const flow = flowFor(res, params(req).organization, params(req).flow);
    if (!flow) return notFoundPage(res);
    // What came of the last action pressed here, shown once on its thread.
    const actionOutcome = req.session.actionOutcome ?? null;
    delete req.session.actionOutcome;
    res.render("inbox", { title: `${flow.name} · Team inbox`, ...flowPageModel(ctx, req, flow), renderTitle, renderMessage, actionOutcome, chatError: null, chatDraft: "" });
  });

  router.get("/app/:organization/:flow/settings", (req, res) => {
    const flow = flowFor(res, params(req).organization, params(req).flow);
    if (!flow) return notFoundPage(res);
    const sources = store.sources.inFlow(flow.id).map((source) => {
      const app = store.applications.byId(source.application_id)!;
      const configure = source.configuration_url ?? app.configuration_uri;
      return { source, app, configureUrl: configure ? withParams(configure, { integration_id: String(source.id), flow: flow.id }) : null };
    });
    const addable = store.applications.installable().map((app) => ({ app, setupUrl: withParams(app.setup_uri!, { flow: flow.id }) }));
    const notice = typeof req.query.removed === "string" ? `Removed ${req.query.removed}.` : null;
    const apiToken = flowApiToken(ctx.options.sessionSecret, flow.id);
    res.render("inbox-settings", { title: `${flow.name} · Inbox Settings`, flow, sources, addable, notice, apiToken, baseUrl: ctx.baseUrl() });
  });

  function sourceFor(res: Response, organization: string, flowName: string, id: string) {
    const flow = flowFor(res, organization, flowName);
    const source = flow && /^\d+$/.test(id) ? store.sources.byId(Number(id)) : undefined;
    if (!flow || !source || source.flow_id !== flow.id) {
      res.status(404).render("error", { title: "Integration not found", message: "It may have been removed already." });
      return undefined;
    }
    return { flow, source };
  }

  // Remove asks first, as Flowdock did: removing a source stops its integration for good.
  router.get("/app/:organization/:flow/sources/:id/remove", (req, res) => {
    const found = sourceFor(res, params(req).organization, params(req).flow, params(req).id);
    if (!found) return;
    const app = store.applications.byId(found.source.application_id)!;
    res.render("remove-source", { title: `Remove ${found.source.name}?`, ...found, app });
  });

  router.post("/app/:organization/:flow/sources/:id/remove", csrf.csrfSynchronisedProtection, (req, res) => {
    const found = sourceFor(res, params(req).organization, params(req).flow, params(req).id);
    if (!found) return;
    const { flow, source } = found;
    store.sources.remove(source.id);
    res.redirect(303, `/app/${flow.organization.parameterized_name}/${flow.parameterized_name}/settings?removed=${encodeURIComponent(source.name)}`);
  });

  return router;
}

/** Appends query parameters to a URL that may have some already (setup URI templates do). */
export function withParams(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}
