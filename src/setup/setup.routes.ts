// The setup URI, the OAuth callback and the flow confirmation screen.
// Flowdock sends the browser to GET /flowdock/setup?flow=<flow id> when someone
// presses "add integration" in a flow's Inbox Settings (contract section 2).
import { Router, type Request, type Response } from "express";
import type passport from "passport";
import { z } from "zod";
import { AppError, type ErrorAction } from "../errors.ts";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { parseInput } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import { limitRequests, type Limiter } from "../web/rate-limits.ts";
import { beginPendingSetup, endPendingSetup, findPendingSetup, updatePendingSetup, type PendingSetup } from "./pending-setups.ts";
import { consumeState, peekStateSetup, FLOWDOCK_SCOPES, FLOWDOCK_STRATEGY, type FlowdockAuthorization } from "./flowdock-oauth.ts";
import { connectProject, prepareConfirmation, type SetupDeps } from "./setup.service.ts";

/** The confirmation form's choice for "a new project, named here". */
const NEW_PROJECT = "new";
const FROM_INBOX_SETTINGS = "Open the flow's Inbox Settings in Flowdock and choose “Add integration” again.";

export function setupRoutes(deps: SetupDeps & { auth: passport.PassportStatic; flowdockApiUrl: string; setupLimit: Limiter }): Router {
  const router = Router();
  const setupQuery = z.object({
    // OAuth's own parameters belong on the callback: here passport would act on them
    // (exchange a code, or fail on an error) instead of starting the authorization.
    code: z.never({ error: "The setup link carries OAuth parameters it should not have." }).optional(),
    error: z.never({ error: "The setup link carries OAuth parameters it should not have." }).optional(),
    state: z.never({ error: "The setup link carries OAuth parameters it should not have." }).optional(),
    // Flow ids are UUIDs or older string ids; anything else is not from Flowdock.
    flow: z.string({ error: "The setup link has no flow." }).regex(/^[\w:.-]{1,128}$/, "The flow id in the setup link is not valid."),
    flow_url: z.url().refine((u) => u.startsWith(`${deps.flowdockApiUrl}/`), "The flow link does not point at Flowdock.").optional(),
  });

  // Step 1: the setup URI. Signed-out visitors sign in (or up) first and come back here.
  router.get("/flowdock/setup", requireUser, limitRequests(deps.setupLimit, (req) => currentUser(req).id), (req, res, next) => {
    const query = parseInput(setupQuery, req.query);
    if (!query.ok) {
      throw new AppError("BAD_REQUEST", `${[...new Set(Object.values(query.errors).flat())].join(" ")} ${FROM_INBOX_SETTINGS}`, { title: "This setup link doesn't work" });
    }
    const setupId = beginPendingSetup(req, { flowId: query.data.flow, flowUrl: query.data.flow_url });
    // Step 2: off to Flowdock to authorize us; the state names this setup.
    deps.auth.authenticate(FLOWDOCK_STRATEGY, { scope: FLOWDOCK_SCOPES, state: { setupId } } as unknown as passport.AuthenticateOptions)(req, res, next);
  });

  // Flowdock sends each of these once; anything else did not come from Flowdock.
  const callbackQuery = z.object({
    code: z.string().max(512).optional(),
    state: z.string().max(512).optional(),
    error: z.string().max(512).optional(),
    error_description: z.string().max(2048).optional(),
  }, { error: "This answer from Flowdock is not valid." });

  router.get("/auth/flowdock/callback", requireUser, (req, res, next) => {
    if (!parseInput(callbackQuery, req.query).ok) throw stateRejected();
    if (typeof req.query.error === "string") return declined(req);
    // Without a code passport would start a new authorization: this page is only reached from Flowdock.
    if (typeof req.query.code !== "string" || !req.query.code) throw stateRejected();
    // Known before passport uses up the state, so a failed exchange can offer a retry.
    const retry = retryAction(peekStateSetup(req, req.query.state));
    deps.auth.authenticate(FLOWDOCK_STRATEGY, { session: false }, (err: unknown, authorization: FlowdockAuthorization | false, info?: { state?: { setupId: string } }) => {
      if (isRefusedGrant(err)) return next(codeRefused(err, retry));
      if (err) return next(tokenExchangeFailed(err, retry));
      const setupId = info?.state?.setupId;
      if (!authorization || !setupId) return next(stateRejected());
      updatePendingSetup(req, setupId, { sealedAccessToken: deps.cipher.encrypt(authorization.accessToken) });
      res.redirect(303, findPendingSetup(req, setupId)?.disconnect ? `/flowdock/disconnect/${setupId}` : `/flowdock/setup/${setupId}`);
    })(req, res, next);
  });

  // Step 3: the confirmation screen.
  router.get("/flowdock/setup/:setupId", requireUser, async (req, res) => {
    const setup = authorizedSetup(req);
    const confirmation = await prepareConfirmation(deps, setup, currentUser(req).id);
    updatePendingSetup(req, String(req.params.setupId), { flow: confirmation.flow });
    res.render("setup/confirm", { title: "Connect a project", setupId: req.params.setupId, ...confirmation, values: {}, errors: {}, duplicate: null });
  });

  const confirmForm = z.object({
    projectId: z.string({ error: "Choose a project." }).min(1, "Choose a project."),
    newProjectName: z.string().trim().max(100, "At most 100 characters.").optional(),
    sourceName: z.string().trim().max(100, "At most 100 characters.").optional(),
    createAnother: z.literal("yes").optional(),
  }).refine((f) => f.projectId !== NEW_PROJECT || Boolean(f.newProjectName), { path: ["newProjectName"], message: "Give the new project a name." });

  // Step 4: create the source and store its flow token.
  router.post("/flowdock/setup/:setupId", requireUser, csrf.csrfSynchronisedProtection, async (req, res) => {
    const setupId = String(req.params.setupId);
    const setup = authorizedSetup(req);
    const user = currentUser(req);
    const form = parseInput(confirmForm, req.body);
    const values = { projectId: req.body?.projectId, newProjectName: req.body?.newProjectName, sourceName: req.body?.sourceName };
    if (!form.ok) return showConfirmAgain(req, res, setup, { values, errors: form.errors });

    const { projectId, newProjectName } = form.data;
    const project = projectId === NEW_PROJECT && newProjectName ? { newName: newProjectName } : { id: projectId };
    const result = await connectProject({ ...deps, logger: req.log }, setup, { userId: user.id, project, sourceName: form.data.sourceName, createAnother: form.data.createAnother === "yes" });
    if (result.kind === "exists") return showConfirmAgain(req, res, setup, { values, errors: {}, duplicate: result.existing });
    // The user's access token is not kept once the source exists.
    endPendingSetup(req, setupId);
    res.redirect(303, `/projects/${result.integration.projectId}/integrations/${result.integration.id}?created=1`);
  });

  async function showConfirmAgain(req: Request, res: Response, setup: PendingSetup, extra: { values: object; errors: object; duplicate?: unknown }) {
    const confirmation = await prepareConfirmation(deps, setup, currentUser(req).id);
    res.status(extra.duplicate ? 409 : 400).render("setup/confirm", { title: "Connect a project", setupId: req.params.setupId, ...confirmation, duplicate: null, ...extra });
  }

  function declined(req: Request): never {
    const setup = peekStateSetup(req, req.query.state);
    const setupId = consumeState(req, req.query.state);
    if (setupId) endPendingSetup(req, setupId);
    const denied = req.query.error === "access_denied";
    if (setup?.disconnect) {
      throw new AppError(denied ? "FORBIDDEN" : "BAD_REQUEST", "Flowdock did not confirm the removal, so nothing was disconnected: the integration still posts to the flow.", {
        title: "Nothing was disconnected",
        action: { href: setup.disconnect.configureUrl, label: "Back to the integration" },
      });
    }
    throw new AppError(denied ? "FORBIDDEN" : "BAD_REQUEST", denied
      ? `You chose not to authorize Tracker, so nothing was connected. ${FROM_INBOX_SETTINGS}`
      : `Flowdock could not authorize Tracker (${String(req.query.error).slice(0, 64)}). ${FROM_INBOX_SETTINGS}`, {
      title: denied ? "Authorization declined" : "Authorization failed",
      action: retryAction(setup) ?? { href: "/projects", label: "Your projects" },
    });
  }

  return router;
}

function authorizedSetup(req: Request): PendingSetup {
  const setup = findPendingSetup(req, String(req.params.setupId));
  if (!setup?.sealedAccessToken || setup.disconnect) {
    throw new AppError("NOT_FOUND", `This setup has expired or was already finished. ${FROM_INBOX_SETTINGS}`, { title: "Setup not found" });
  }
  return setup;
}

function stateRejected(): AppError {
  return new AppError("BAD_REQUEST", `This authorization did not come from a setup started in this browser, or it was already used or has expired. ${FROM_INBOX_SETTINGS}`, {
    title: "Setup could not be verified",
  });
}

// passport-oauth2 turns Flowdock's {"error":"invalid_grant"} into a TokenError:
// the code expired, was already used, or (PKCE) belongs to another setup. That
// is not Flowdock failing, and trying again from the start fixes it.
function isRefusedGrant(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === "TokenError" && (err as { code?: string }).code === "invalid_grant";
}

function codeRefused(cause: unknown, action: ErrorAction | undefined): AppError {
  return new AppError("BAD_REQUEST", "This authorization has expired or was already used, so nothing was connected. Start the setup again to get a fresh one.", {
    cause,
    action: action ?? { href: "/projects", label: "Your projects" },
    title: "This authorization can't be used",
  });
}

function tokenExchangeFailed(cause: unknown, action: ErrorAction | undefined): AppError {
  return new AppError("UPSTREAM_UNAVAILABLE", "Flowdock did not complete the authorization (it may be unavailable). Nothing was connected; you can try again.", {
    cause,
    action,
    title: "Authorization could not be completed",
  });
}

function retryAction(setup: PendingSetup | undefined): ErrorAction | undefined {
  if (!setup) return undefined;
  if (setup.disconnect) return { href: setup.disconnect.configureUrl, label: "Back to the integration" };
  const query = new URLSearchParams({ flow: setup.flowId, ...(setup.flowUrl ? { flow_url: setup.flowUrl } : {}) });
  return { href: `/flowdock/setup?${query}`, label: "Start again" };
}

