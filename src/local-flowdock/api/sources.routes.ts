// Sources (contract section 4): an application's integration with one flow.
// `…/integrations` is the older alias of `…/sources`.
import { Router, type Response } from "express";
import { z } from "zod";
import type { SimulatorContext } from "../context.ts";
import { authenticate, callerOf } from "./authenticate.ts";
import { visibleFlow } from "./flows.routes.ts";
import { sourceJson } from "./serializers.ts";
import { ApiError, notFound } from "./api-error.ts";
import { parseInput, params } from "./input.ts";
import { flowTokenOf, sourceByFlowToken } from "./flow-token.ts";
import type { SourceChanges } from "../store/sources.repository.ts";

const SOURCE_SCOPES = ["integration", "manage"];
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048);

const createInput = z.object({
  name: z.string().trim().min(1, "can't be blank").max(255),
  external_url: httpUrl.optional(),
});

// Flowdock documents exactly two updatable fields (docs/sources.md, "Update a
// Source"); anything else, a name included, is refused by name rather than
// silently ignored, so an integration relying on it finds out at once. The
// credentials may travel in the body too.
const UPDATABLE = ["error_message", "configuration_url"];
const CREDENTIALS = ["flow_token", "access_token"];
const updateInput = z
  .object({
    // An empty string clears the error, as on the hosted service.
    error_message: z.string().max(2000).nullable().optional().transform((v) => (v === "" ? null : v)),
    configuration_url: httpUrl.nullable().optional(),
  })
  .catchall(z.unknown())
  .superRefine((body, ctx) => {
    for (const field of Object.keys(body)) {
      if (UPDATABLE.includes(field) || CREDENTIALS.includes(field)) continue;
      ctx.addIssue({ code: "custom", path: [field], message: `can't be updated: only ${UPDATABLE.join(" and ")} can` });
    }
  });

function changesFrom(body: unknown): SourceChanges {
  const input = parseInput(updateInput, body);
  return Object.fromEntries(Object.entries(input).filter(([k, v]) => UPDATABLE.includes(k) && v !== undefined)) as SourceChanges;
}

export function sourcesRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store, now } = ctx;
  const auth = authenticate(ctx, SOURCE_SCOPES);
  const show = (source: Parameters<typeof sourceJson>[2]) => sourceJson(ctx.baseUrl(), store, source);
  const update = (id: number, changes: SourceChanges) => {
    const updated = store.sources.update(id, changes);
    ctx.sourceUpdates.push({ sourceId: id, changes: { ...changes }, at: now() });
    return updated;
  };

  function sourceInFlow(res: Response, organization: string, flowName: string, id: string) {
    const flow = visibleFlow(ctx, res, organization, flowName);
    const source = /^\d+$/.test(id) ? store.sources.byId(Number(id)) : undefined;
    if (!source || source.flow_id !== flow.id) throw notFound();
    return source;
  }

  for (const collection of ["sources", "integrations"]) {
    const list = `/flows/:organization/:flow/${collection}`;
    const item = `${list}/:id`;

    router.get(list, auth, (req, res) => {
      const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
      res.json(store.sources.inFlow(flow.id).map(show));
    });

    router.post(list, auth, (req, res) => {
      const flow = visibleFlow(ctx, res, params(req).organization, params(req).flow);
      const input = parseInput(createInput, req.body);
      const caller = callerOf(res);
      // A source belongs to the OAuth application that made it; HTTP Basic names none.
      if (!caller.application) throw new ApiError(403, "Sources are created by OAuth applications; authenticate with an access token");
      const { source, flowToken } = store.sources.create({
        flowId: flow.id, applicationId: caller.application.id, creatorUserId: caller.user.id,
        name: input.name, externalUrl: input.external_url ?? null,
      });
      // The only answer that ever carries the flow_token.
      res.status(201).json({ ...show(source), flow_token: flowToken });
    });

    router.get(item, auth, (req, res) => {
      res.json(show(sourceInFlow(res, params(req).organization, params(req).flow, params(req).id)));
    });

    router.put(item, auth, (req, res) => {
      const source = sourceInFlow(res, params(req).organization, params(req).flow, params(req).id);
      res.json(show(update(source.id, changesFrom(req.body))));
    });

    router.delete(item, auth, (req, res) => {
      const source = sourceInFlow(res, params(req).organization, params(req).flow, params(req).id);
      store.sources.remove(source.id);
      res.status(204).end();
    });
  }

  // The alias holds for the top-level collection too: older integrations call
  // `/integrations?flow_token=` to read and update their own source.
  for (const collection of ["/sources", "/integrations"]) {
    // With a flow_token: only that token's own source. With a user token: every
    // source in the flows the user can see.
    router.get(collection, (req, res, next) => {
      const token = flowTokenOf(req);
      if (!token) return next();
      res.json([show(sourceByFlowToken(store, token))]);
    }, auth, (_req, res) => {
      const { user } = callerOf(res);
      res.json(store.directory.visibleFlows(user.id).flatMap((flow) => store.sources.inFlow(flow.id)).map(show));
    });

    router.put(collection, (req, res) => {
      const source = sourceByFlowToken(store, flowTokenOf(req));
      res.json(show(update(source.id, changesFrom(req.body))));
    });
  }

  return router;
}
