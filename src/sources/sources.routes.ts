// A project's Flowdock integrations: which flows it posts to, how deliveries to
// each are doing, and a retry for deliveries parked as dead (owners only).
import { Router, type Request } from "express";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { AppError, notFound } from "../errors.ts";
import { csrf } from "../web/session.ts";
import { databaseId } from "../web/form.ts";

const deliveryId = databaseId();
import type { ProjectsRepository } from "../tracker/projects.repository.ts";
import type { OutboxRepository } from "../activity-forwarding/outbox.repository.ts";
import type { ActivityKind } from "../activity-forwarding/activity.ts";
import { sendsInWords } from "../configuration/sends-in-words.ts";
import type { IntegrationsRepository } from "./integrations.repository.ts";
import { describeAudit, type AuditRepository } from "./audit.repository.ts";

export function sourcesRoutes(deps: { projects: ProjectsRepository; integrations: IntegrationsRepository; outbox: OutboxRepository; audit: AuditRepository; activityKinds: ActivityKind[]; onRetry?: () => void }): Router {
  const router = Router();
  router.use("/projects/:projectId/integrations", requireUser);

  async function projectOf(req: Request) {
    const project = await deps.projects.findForMember(String(req.params.projectId), currentUser(req).id);
    if (!project) throw notFound("Project");
    return project;
  }

  async function integrationOf(req: Request) {
    const project = await projectOf(req);
    const integration = await deps.integrations.findById(String(req.params.integrationId));
    if (!integration || integration.projectId !== project.id) throw notFound("Integration");
    return { project, integration };
  }

  router.get("/projects/:projectId/integrations", async (req, res) => {
    const project = await projectOf(req);
    const [integrations, notices, record] = await Promise.all([
      deps.integrations.listForProject(project.id),
      deps.projects.notices(project.id),
      deps.audit.forProject(project.id),
    ]);
    const suspensions = new Map(await Promise.all(integrations.map(async (i) => [i.id, await deps.integrations.suspension(i.id)] as const)));
    res.render("sources/index", { title: `${project.name} · Flowdock`, project, integrations, notices, record, describeAudit, suspensions });
  });

  router.get("/projects/:projectId/integrations/:integrationId", async (req, res) => {
    const { project, integration } = await integrationOf(req);
    const [deliveries, counts, record, suspension] = await Promise.all([
      deps.outbox.recentForIntegration(integration.id), deps.outbox.countByStatus(integration.id),
      deps.audit.forIntegration(integration.id), deps.integrations.suspension(integration.id),
    ]);
    res.render("sources/show", {
      title: `${project.name} → ${integration.flowName}`, project, integration, deliveries, counts, record, describeAudit, suspension,
      sends: sendsInWords(deps.activityKinds, integration), justCreated: req.query.created === "1",
    });
  });

  router.post("/projects/:projectId/integrations/:integrationId/deliveries/:deliveryId/retry", csrf.csrfSynchronisedProtection, async (req, res) => {
    const { project, integration } = await integrationOf(req);
    if (project.role !== "owner") throw new AppError("FORBIDDEN", "Only a project owner can retry deliveries.");
    const id = deliveryId.safeParse(req.params.deliveryId);
    if (!id.success || !(await deps.outbox.revive(id.data, integration.id))) throw notFound("Dead delivery");
    const me = currentUser(req);
    await deps.audit.record({ projectId: project.id, integrationId: integration.id, actor: { id: me.id, name: me.name }, action: "integration.deliveries_retried", detail: `delivery #${id.data}` });
    deps.onRetry?.();
    res.redirect(303, `/projects/${project.id}/integrations/${integration.id}`);
  });

  return router;
}
