// A project's settings page (owners only): archive or unarchive it, and delete
// it after a confirmation page.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { flash } from "../web/flash.ts";
import { parseInput, type FieldErrors } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import type { ConnectedFlow, ProjectsRepository } from "./projects.repository.ts";
import type { ProjectSettingsService } from "./project-settings.service.ts";

const deleteForm = z.object({ confirmName: z.string().max(200, "At most 200 characters.").prefault("") });

export function projectSettingsRoutes(deps: { projects: ProjectsRepository; settings: ProjectSettingsService }): Router {
  const router = Router();
  const base = "/projects/:projectId";
  router.use([`${base}/settings`, `${base}/archive`, `${base}/unarchive`, `${base}/delete`], requireUser);
  const projectId = (req: Request) => String(req.params.projectId);

  router.get(`${base}/settings`, async (req, res) => {
    const project = await deps.settings.ownerProject(currentUser(req), projectId(req), "change its settings");
    const connected = await deps.projects.connectedFlows(project.id);
    res.render("projects/settings", { title: `${project.name} · Settings`, project, connected });
  });

  router.post(`${base}/archive`, csrf.csrfSynchronisedProtection, async (req, res) => {
    flash(req, await deps.settings.archive(currentUser(req), projectId(req)));
    res.redirect(303, `/projects/${projectId(req)}/settings`);
  });

  router.post(`${base}/unarchive`, csrf.csrfSynchronisedProtection, async (req, res) => {
    flash(req, await deps.settings.unarchive(currentUser(req), projectId(req)));
    res.redirect(303, `/projects/${projectId(req)}/settings`);
  });

  async function showDelete(req: Request, res: Response, status: number, extra: { values?: object; errors?: FieldErrors; connected?: ConnectedFlow[] } = {}) {
    const project = await deps.settings.ownerProject(currentUser(req), projectId(req), "delete it");
    const [counts, connected] = await Promise.all([deps.projects.contentCounts(project.id), extra.connected ?? deps.projects.connectedFlows(project.id)]);
    res.status(status).render("projects/delete", {
      title: `Delete ${project.name}`, project, counts, connected, values: extra.values ?? {}, errors: extra.errors ?? {},
    });
  }

  router.get(`${base}/delete`, (req, res) => showDelete(req, res, 200));

  router.post(`${base}/delete`, csrf.csrfSynchronisedProtection, async (req, res) => {
    const values = { confirmName: typeof req.body?.confirmName === "string" ? req.body.confirmName : "" };
    const form = parseInput(deleteForm, req.body);
    if (!form.ok) return showDelete(req, res, 400, { values, errors: form.errors });
    const outcome = await deps.settings.delete(currentUser(req), projectId(req), form.data.confirmName);
    if (outcome.ok) {
      flash(req, outcome.message);
      return res.redirect(303, "/projects");
    }
    if (outcome.reason === "name-mismatch") {
      return showDelete(req, res, 400, { values, errors: { confirmName: ["Type the project's name exactly as shown to confirm."] } });
    }
    return showDelete(req, res, 409, { values, connected: outcome.connected });
  });

  return router;
}
