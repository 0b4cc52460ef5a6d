// A project's Flowdock integrations: which flows it posts to, and how they are doing.
import { Router } from "express";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { notFound } from "../errors.ts";
import type { ProjectsRepository } from "../tracker/projects.repository.ts";
import type { IntegrationsRepository } from "./integrations.repository.ts";

export function sourcesRoutes(deps: { projects: ProjectsRepository; integrations: IntegrationsRepository }): Router {
  const router = Router();
  router.use("/projects/:projectId/integrations", requireUser);

  router.get("/projects/:projectId/integrations", async (req, res) => {
    const project = await deps.projects.findForMember(String(req.params.projectId), currentUser(req).id);
    if (!project) throw notFound("Project");
    const integrations = await deps.integrations.listForProject(project.id);
    res.render("sources/index", { title: `${project.name} · Flowdock`, project, integrations });
  });

  router.get("/projects/:projectId/integrations/:integrationId", async (req, res) => {
    const project = await deps.projects.findForMember(String(req.params.projectId), currentUser(req).id);
    const integration = project ? await deps.integrations.findById(String(req.params.integrationId)) : null;
    if (!project || !integration || integration.projectId !== project.id) throw notFound("Integration");
    res.render("sources/show", { title: `${project.name} → ${integration.flowName}`, project, integration, justCreated: req.query.created === "1" });
  });

  return router;
}
