// The configuration URI: Flowdock's Configure button in Inbox Settings sends the
// browser here with `integration_id` (the source id) and `flow` (contract
// section 2; the example integration's `source` and `source_url` work too).
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { databaseId, parseInput, type FieldErrors } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import { findConfigurable, saveConfiguration, type Configurable, type ConfigurationDeps } from "./configuration.service.ts";

const CONFIGURE = "/flowdock/configure";

// Flowdock's source ids are integers; one that does not fit our column is not one of ours.
const sourceId = databaseId("The integration id in the Configure link is not valid.");
const sourceQuery = z.object({
  integration_id: sourceId.optional(),
  source: sourceId.optional(),
  flow: z.string().regex(/^[\w:.-]{1,128}$/, "The flow id is not valid.").optional(),
  // `source_url` ends in /flows/<org>/<flow>/sources/<id>; its id is the source.
  source_url: z.url().transform((u) => /\/sources\/([^/]+)$/.exec(new URL(u).pathname)?.[1]).pipe(sourceId.optional()).optional(),
}).transform((q, ctx) => {
  const id = q.integration_id ?? q.source ?? q.source_url;
  if (!id || !q.flow) {
    ctx.addIssue({ code: "custom", message: "The Configure link must name the integration and its flow." });
    return z.NEVER;
  }
  return { sourceId: id, flowId: q.flow };
});

const settingsForm = z.object({
  sourceName: z.string().trim().min(1, "Give the source a name.").max(100, "At most 100 characters."),
  sendKinds: z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
});

export function configurationRoutes(deps: ConfigurationDeps): Router {
  const router = Router();

  async function target(req: Request): Promise<Configurable> {
    const query = parseInput(sourceQuery, req.query);
    if (!query.ok) throw new AppError("BAD_REQUEST", `${Object.values(query.errors).flat().join(" ")} Open it again from the flow's Inbox Settings.`, { title: "This Configure link doesn't work" });
    return findConfigurable(deps, currentUser(req).id, query.data);
  }

  function show(res: Response, req: Request, t: Configurable, extra: { errors?: FieldErrors; saved?: boolean; values?: { sourceName: string; sendKinds: string[] } }, status = 200) {
    const values = extra.values ?? { sourceName: t.integration.sourceName, sendKinds: deps.activityKinds.map((k) => k.kind).filter((k) => !t.integration.mutedKinds.includes(k)) };
    res.status(status).render("configuration/edit", {
      title: `Configure ${t.integration.sourceName}`, ...t, kinds: deps.activityKinds, values, errors: extra.errors ?? {}, saved: extra.saved ?? false,
      action: `${CONFIGURE}?${new URLSearchParams({ integration_id: String(t.integration.sourceId), flow: t.integration.flowId })}`,
    });
  }

  router.get(CONFIGURE, requireUser, async (req, res) => {
    show(res, req, await target(req), { saved: req.query.saved === "1" });
  });

  router.post(CONFIGURE, requireUser, csrf.csrfSynchronisedProtection, async (req, res) => {
    const t = await target(req);
    const form = parseInput(settingsForm, req.body);
    if (!form.ok) return show(res, req, t, { errors: form.errors, values: { sourceName: String(req.body?.sourceName ?? ""), sendKinds: [] } }, 400);
    try {
      await saveConfiguration({ ...deps, logger: req.log }, t, form.data);
    } catch (err) {
      if (err instanceof AppError && err.code === "VALIDATION_FAILED" && err.details) return show(res, req, t, { errors: err.details, values: form.data }, 400);
      throw err;
    }
    res.redirect(303, `${CONFIGURE}?${new URLSearchParams({ integration_id: String(t.integration.sourceId), flow: t.integration.flowId, saved: "1" })}`);
  });

  return router;
}
