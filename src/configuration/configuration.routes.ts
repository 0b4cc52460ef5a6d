// The configuration URI: Flowdock's Configure button in Inbox Settings sends the
// browser here with `integration_id` (the source id) and `flow` (contract
// section 2; the example integration's `source` and `source_url` work too).
// Every source's `configuration_url` points here too (src/sources/source-state.ts).
import { Router, type Request, type Response } from "express";
import type passport from "passport";
import { z } from "zod";
import { AppError, notFound } from "../errors.ts";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { databaseId, parseInput, type FieldErrors } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import { flash } from "../web/flash.ts";
import { beginPendingSetup, endPendingSetup, findPendingSetup, updatePendingSetup } from "../setup/pending-setups.ts";
import { FLOWDOCK_STRATEGY } from "../setup/flowdock-oauth.ts";
import { canChange, canTakeOver, findConfigurable, moveToProject, saveSettings, takeOver, type Configurable, type ConfigurationDeps, type Person } from "./configuration.service.ts";
import { finishDisconnect, type DisconnectDeps } from "./disconnect.service.ts";
import { sendsInWords } from "./sends-in-words.ts";

const CONFIGURE = "/flowdock/configure";

// Flowdock's source ids are integers; one that does not fit our column is not one of ours.
const sourceId = databaseId("The integration id in the Configure link is not valid.");
const sourceQuery = z.object({
  integration_id: sourceId.optional(),
  source: sourceId.optional(),
  flow: z.string().regex(/^[\w:.-]{1,128}$/, "The flow id is not valid.").optional(),
  // `source_url` ends in /flows/<org>/<flow>/sources/<id>; its id is the source,
  // and the whole URL must be that source's (another flow's is "not found").
  source_url: z.url().optional(),
}).transform((q, ctx) => {
  const fromUrl = q.source_url === undefined ? undefined : sourceId.optional().safeParse(/\/sources\/([^/]+)$/.exec(new URL(q.source_url).pathname)?.[1]);
  if (fromUrl && !fromUrl.success) {
    ctx.addIssue({ code: "custom", message: "The integration id in the Configure link is not valid." });
    return z.NEVER;
  }
  const id = q.integration_id ?? q.source ?? fromUrl?.data;
  if (!id || !q.flow) {
    ctx.addIssue({ code: "custom", message: "The Configure link must name the integration and its flow." });
    return z.NEVER;
  }
  return { sourceId: id, flowId: q.flow, ...(q.source_url ? { sourceUrl: q.source_url } : {}) };
});

const many = z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
// Labels as on issues: comma-separated, each at most 30 characters, at most 10.
const labels = z.string().max(500).prefault("").transform((v) => [...new Set(v.split(",").map((l) => l.trim()).filter(Boolean))])
  .pipe(z.array(z.string().max(30, "Each label at most 30 characters.")).max(10, "At most 10 labels."));

const settingsForm = z.object({
  integrationId: z.string(),
  sendKinds: many,
  sendNothing: z.literal("yes").optional().transform((v) => v === "yes"),
  labels,
});
const moveForm = z.object({ integrationId: z.string(), projectId: z.string({ error: "Choose a project." }).min(1, "Choose a project.") });
const plainForm = z.object({ integrationId: z.string() });

type Values = { sendKinds: string[]; sendNothing: boolean; labels: string };

export function configurationRoutes(deps: ConfigurationDeps & DisconnectDeps & { auth: passport.PassportStatic }): Router {
  const router = Router();
  const addressOf = (t: Configurable) => `${CONFIGURE}?${new URLSearchParams({ integration_id: String(t.integration.sourceId), flow: t.integration.flowId })}`;
  const person = (req: Request): Person => ({ id: currentUser(req).id, name: currentUser(req).name });

  async function target(req: Request): Promise<Configurable> {
    const query = parseInput(sourceQuery, req.query);
    if (!query.ok) throw new AppError("BAD_REQUEST", `${Object.values(query.errors).flat().join(" ")} Open it again from the flow's Inbox Settings.`, { title: "This Configure link doesn't work" });
    return findConfigurable(deps, person(req), query.data);
  }

  /** The integration a form names: the one of the address, or none (a tampered form changes nothing). */
  async function formTarget<S extends z.ZodType<{ integrationId: string }>>(req: Request, schema: S) {
    const t = await target(req);
    const form = parseInput(schema, req.body);
    if (String(req.body?.integrationId ?? "") !== t.integration.id) throw notFound("Integration");
    return { t, form };
  }

  async function show(req: Request, res: Response, t: Configurable, extra: { errors?: FieldErrors; values?: Values; done?: string } = {}, status = 200) {
    const kinds = deps.activityKinds;
    const values = extra.values ?? {
      sendKinds: kinds.map((k) => k.kind).filter((k) => !t.integration.mutedKinds.includes(k)),
      sendNothing: t.integration.mutedKinds.length === kinds.length,
      labels: t.integration.labelFilter.join(", "),
    };
    const owned = canChange(t) ? (await deps.projects.listForUser(currentUser(req).id)).filter((p) => p.role === "owner" && p.id !== t.project.id) : [];
    res.status(status).render("configuration/edit", {
      title: `Configure ${t.integration.sourceName}`, ...t, kinds, values, errors: extra.errors ?? {}, done: extra.done ?? null,
      canChange: canChange(t), canTakeOver: canTakeOver(t, person(req)), owned, sends: sendsInWords(kinds, t.integration), action: addressOf(t),
      actionFor: (step: string) => addressOf(t).replace(CONFIGURE, `${CONFIGURE}/${step}`),
    });
  }

  const done = (res: Response, t: Configurable, what: string) => res.redirect(303, `${addressOf(t)}&done=${what}`);

  router.get(CONFIGURE, requireUser, async (req, res) => {
    const t = await target(req);
    await show(req, res, t, { done: typeof req.query.done === "string" ? req.query.done : undefined });
  });

  router.post(CONFIGURE, requireUser, csrf.csrfSynchronisedProtection, async (req, res) => {
    const { t, form } = await formTarget(req, settingsForm);
    // Shown again with every choice as it was sent, never the stored ones.
    const values: Values = { sendKinds: many.parse(req.body?.sendKinds), sendNothing: req.body?.sendNothing === "yes", labels: String(req.body?.labels ?? "") };
    if (!form.ok) return show(req, res, t, { errors: byField(form.errors), values }, 400);
    try {
      await saveSettings({ ...deps, logger: req.log }, t, person(req), form.data);
    } catch (err) {
      if (err instanceof AppError && err.code === "VALIDATION_FAILED" && err.details) return show(req, res, t, { errors: err.details, values }, 400);
      throw err;
    }
    done(res, t, "saved");
  });

  router.post(`${CONFIGURE}/move`, requireUser, csrf.csrfSynchronisedProtection, async (req, res) => {
    const { t, form } = await formTarget(req, moveForm);
    if (!form.ok) return show(req, res, t, { errors: form.errors }, 400);
    try {
      await moveToProject({ ...deps, logger: req.log }, t, person(req), form.data.projectId);
    } catch (err) {
      if (err instanceof AppError && err.code === "VALIDATION_FAILED" && err.details) return show(req, res, t, { errors: err.details }, 400);
      throw err;
    }
    done(res, t, "moved");
  });

  router.post(`${CONFIGURE}/take-over`, requireUser, csrf.csrfSynchronisedProtection, async (req, res) => {
    const { t } = await formTarget(req, plainForm);
    await takeOver({ ...deps, logger: req.log }, t, person(req));
    done(res, t, "taken-over");
  });

  // Off to Flowdock to confirm the removal; it comes back through the OAuth callback.
  router.post(`${CONFIGURE}/disconnect`, requireUser, csrf.csrfSynchronisedProtection, async (req, res, next) => {
    const { t } = await formTarget(req, plainForm);
    if (!canChange(t)) throw new AppError("FORBIDDEN", `Only the owners of ${t.project.name} can disconnect this integration.`, { title: "Only owners can disconnect" });
    const pendingId = beginPendingSetup(req, { flowId: t.integration.flowId });
    updatePendingSetup(req, pendingId, { disconnect: { integrationId: t.integration.id, configureUrl: addressOf(t) } });
    deps.auth.authenticate(FLOWDOCK_STRATEGY, { scope: ["integration"], state: { setupId: pendingId } } as unknown as passport.AuthenticateOptions)(req, res, next);
  });

  // Back from Flowdock with a token: this GET acts because the removal was
  // asked for with a POST (CSRF-checked) and the single-use OAuth state binds
  // the token to that request in this browser.
  router.get("/flowdock/disconnect/:pendingId", requireUser, async (req, res) => {
    const pendingId = String(req.params.pendingId);
    const pending = findPendingSetup(req, pendingId);
    if (!pending?.disconnect || !pending.sealedAccessToken) throw new AppError("NOT_FOUND", "This disconnection has expired or was already done.", { title: "Nothing to disconnect" });
    endPendingSetup(req, pendingId);
    const result = await finishDisconnect({ ...deps, logger: req.log }, pending, person(req));
    const notice = result.alreadyGone
      ? `Disconnected “${result.sourceName}”: it had already been removed from ${result.flow} in Flowdock.`
      : `Disconnected “${result.sourceName}”: it is removed from ${result.flow} in Flowdock and posts nothing more.`;
    flash(req, notice);
    res.redirect(303, `/projects/${result.projectId}/integrations`);
  });

  return router;
}

// "labels.3" → "labels": the page shows a list's errors next to its one field.
function byField(errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [path, messages] of Object.entries(errors)) (out[path.split(".")[0]!] ??= []).push(...messages);
  return out;
}
