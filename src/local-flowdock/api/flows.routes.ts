// The authorized user and the flows they can see (contract sections 1 and 3).
import { Router, type Response } from "express";
import type { SimulatorContext } from "../context.ts";
import { authenticate, callerOf } from "./authenticate.ts";
import { flowJson, userJson } from "./serializers.ts";
import { notFound, validationError } from "./api-error.ts";
import { params } from "./input.ts";
import type { FlowWithOrganization } from "../store/directory.repository.ts";

// The hosted docs name no scope for reading flows; an integration asking for
// `profile integration` (as the example did) must be able to read the flow it joins.
export const FLOW_READ_SCOPES = ["flow", "integration", "manage"];

export function flowsRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;
  const show = (res: Response, flow: FlowWithOrganization) => {
    const { user, scopes } = callerOf(res);
    return flowJson(ctx.baseUrl(), store, flow, store.directory.isFlowMember(flow.id, user.id), scopes);
  };

  router.get("/user", authenticate(ctx, ["profile"]), (_req, res) => {
    res.json(userJson(callerOf(res).user));
  });

  router.get("/flows", authenticate(ctx, FLOW_READ_SCOPES), (_req, res) => {
    const { user } = callerOf(res);
    res.json(store.directory.visibleFlows(user.id).map((f) => show(res, f)));
  });

  router.get("/flows/find", authenticate(ctx, FLOW_READ_SCOPES), (req, res) => {
    const id = req.query.id;
    if (typeof id !== "string" || id === "") throw validationError({ id: ["is required"] });
    const { user } = callerOf(res);
    const flow = store.directory.flowById(id);
    if (!flow || !store.directory.canSee(user.id, flow.id)) throw notFound();
    res.json(show(res, flow));
  });

  router.get("/flows/:organization/:flow", authenticate(ctx, FLOW_READ_SCOPES), (req, res) => {
    res.json(show(res, visibleFlow(ctx, res, params(req).organization, params(req).flow)));
  });

  return router;
}

/** The flow at this path if the caller can see it; 404 as the hosted API otherwise. */
export function visibleFlow(ctx: SimulatorContext, res: { locals: Record<string, unknown> }, organization: string, flow: string) {
  const found = ctx.store.directory.flowByPath(organization, flow);
  if (!found || !ctx.store.directory.canSee(callerOf(res).user.id, found.id)) throw notFound();
  return found;
}
