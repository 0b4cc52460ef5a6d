// Developer applications: register an OAuth application, see its client id and
// secret, and start its setup process for one of your flows.
import { Router } from "express";
import { z } from "zod";
import type { SimulatorContext } from "../context.ts";
import { randomToken } from "../../crypto/random.ts";
import { csrf } from "./web-session.ts";
import { currentUser, requireUser } from "./current-user.ts";
import { withParams } from "./flow-pages.routes.ts";

const optionalUrl = z.union([z.literal("").transform(() => null), z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048)]);
const applicationInput = z.object({
  name: z.string().trim().min(1, "can't be blank").max(100),
  callback_uri: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048),
  setup_uri: optionalUrl.default(null),
  configuration_uri: optionalUrl.default(null),
  icon_url: optionalUrl.default(null),
});

export function developerApplicationsRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;
  router.use("/oauth/applications", requireUser);

  const list = (userId: number) => store.applications.ownedBy(userId);

  router.get("/oauth/applications", (_req, res) => {
    res.render("applications", { title: "Developer applications", applications: list(currentUser(res).id), values: {}, errors: {} });
  });

  router.post("/oauth/applications", csrf.csrfSynchronisedProtection, (req, res) => {
    const parsed = applicationInput.safeParse(req.body ?? {});
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
      res.status(400).render("applications", { title: "Developer applications", applications: list(currentUser(res).id), values: req.body ?? {}, errors });
      return;
    }
    const app = store.applications.create({
      ...parsed.data,
      client_id: randomToken(16),
      client_secret: randomToken(32),
      owner_user_id: currentUser(res).id,
    });
    res.redirect(303, `/oauth/applications/${app.id}`);
  });

  router.get("/oauth/applications/:id", (req, res) => {
    const app = /^\d+$/.test(req.params.id) ? store.applications.byId(Number(req.params.id)) : undefined;
    if (!app || app.owner_user_id !== currentUser(res).id) {
      res.status(404).render("error", { title: "Application not found", message: "There is no such application among yours." });
      return;
    }
    const flows = store.directory.visibleFlows(currentUser(res).id).map((flow) => ({
      flow,
      setupUrl: app.setup_uri ? withParams(app.setup_uri, { flow: flow.id }) : null,
    }));
    res.render("application", { title: app.name, app, flows });
  });

  return router;
}
