// The example domain's project pages: the projects you belong to, and a new one.
import { Router } from "express";
import { z } from "zod";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { notFound } from "../errors.ts";
import { parseInput } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import type { ProjectsRepository } from "./projects.repository.ts";

const newProject = z.object({ name: z.string().trim().min(1, "Give the project a name.").max(100, "At most 100 characters.") });

export function projectsRoutes(deps: { projects: ProjectsRepository }): Router {
  const router = Router();
  router.use("/projects", requireUser);

  router.get("/projects", async (req, res) => {
    const projects = await deps.projects.listForUser(currentUser(req).id);
    res.render("projects/index", { title: "Projects", projects, values: {}, errors: {} });
  });

  router.post("/projects", csrf.csrfSynchronisedProtection, async (req, res) => {
    const user = currentUser(req);
    const form = parseInput(newProject, req.body);
    if (!form.ok) {
      const projects = await deps.projects.listForUser(user.id);
      return res.status(400).render("projects/index", { title: "Projects", projects, values: { name: req.body?.name ?? "" }, errors: form.errors });
    }
    const project = await deps.projects.create(form.data.name, user.id);
    res.redirect(303, `/projects/${project.id}`);
  });

  router.get("/projects/:projectId", async (req, res) => {
    const project = await deps.projects.findForMember(String(req.params.projectId), currentUser(req).id);
    if (!project) throw notFound("Project");
    res.render("projects/show", { title: project.name, project });
  });

  return router;
}
