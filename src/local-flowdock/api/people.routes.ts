// Users and organizations as the hosted docs (users.md, organizations.md): who
// the caller can see, and nothing of organizations they don't belong to.
import { Router } from "express";
import type { SimulatorContext } from "../context.ts";
import { authenticate, callerOf } from "./authenticate.ts";
import { organizationJson, userJson } from "./serializers.ts";
import { notFound, validationError } from "./api-error.ts";
import { params } from "./input.ts";

// The docs name no scope for reading people; `manage` is "flows, organizations and
// their users", `flow` sees the flows' people anyway, `profile` is the user's own.
const PEOPLE_SCOPES = ["flow", "manage", "profile"];

export function peopleRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;
  const auth = authenticate(ctx, PEOPLE_SCOPES);

  router.get("/users", auth, (_req, res) => {
    res.json(store.directory.visibleUsers(callerOf(res).user.id).map(userJson));
  });

  router.get("/users/:id", auth, (req, res) => {
    const id = params(req).id;
    const user = /^\d+$/.test(id) ? store.directory.userById(Number(id)) : undefined;
    // "The requesting user must belong to same organization as the target user."
    if (!user || !store.directory.sharesOrganization(callerOf(res).user.id, user.id)) throw notFound();
    res.json(userJson(user));
  });

  router.get("/flows/:organization/:flow/users", auth, (req, res) => {
    const flow = store.directory.flowByPath(params(req).organization, params(req).flow);
    if (!flow || !store.directory.canSee(callerOf(res).user.id, flow.id)) throw notFound();
    res.json(store.directory.flowMembers(flow.id).map(userJson));
  });

  const organizationOfCaller = (res: { locals: Record<string, unknown> }, found: ReturnType<typeof store.directory.organizationByName>) => {
    if (!found || !store.directory.isOrganizationMember(found.id, callerOf(res).user.id)) throw notFound();
    return organizationJson(ctx.baseUrl(), store, found);
  };

  router.get("/organizations", auth, (_req, res) => {
    res.json(store.directory.organizationsOf(callerOf(res).user.id).map((o) => organizationJson(ctx.baseUrl(), store, o)));
  });

  router.get("/organizations/find", auth, (req, res) => {
    const id = req.query.id;
    if (typeof id !== "string" || !/^\d+$/.test(id)) throw validationError({ id: ["must be an organization id"] });
    res.json(organizationOfCaller(res, store.directory.organizationById(Number(id))));
  });

  router.get("/organizations/:organization", auth, (req, res) => {
    res.json(organizationOfCaller(res, store.directory.organizationByName(params(req).organization)));
  });

  router.get("/organizations/:organization/users", auth, (req, res) => {
    const org = organizationOfCaller(res, store.directory.organizationByName(params(req).organization));
    res.json(store.directory.organizationMembers(org.id).map((u) => ({ ...userJson(u), admin: Boolean(u.admin) })));
  });

  return router;
}
