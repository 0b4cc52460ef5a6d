// A project's people: everyone in it sees who belongs; owners add, change and
// remove; anyone can leave.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { flash } from "../web/flash.ts";
import { parseInput, type FieldErrors } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import type { MembersService, Outcome } from "./members.service.ts";
import { projectOfMember } from "./project-access.ts";
import { ROLES, type ProjectsRepository } from "./projects.repository.ts";

const addForm = z.object({
  email: z.string("Enter an email address like name@example.com.").trim()
    .pipe(z.email("Enter an email address like name@example.com.").max(254, "At most 254 characters.")),
  role: z.enum(ROLES, "Choose owner or member.").prefault("member"),
});
const roleForm = z.object({ role: z.enum(ROLES, "Choose owner or member.") });

export function membersRoutes(deps: { projects: ProjectsRepository; members: MembersService }): Router {
  const router = Router();
  const base = "/projects/:projectId/members";
  router.use(["/projects/:projectId/members", "/projects/:projectId/leave"], requireUser);

  async function showPage(req: Request, res: Response, status = 200, extra: { values?: object; errors?: FieldErrors; alert?: string } = {}) {
    const project = await projectOfMember(deps.projects, String(req.params.projectId), currentUser(req).id);
    const members = await deps.projects.members(project.id);
    res.status(status).render("projects/members", {
      title: `${project.name} · People`, project, members, me: currentUser(req).id,
      values: extra.values ?? {}, errors: extra.errors ?? {}, alert: extra.alert ?? null,
    });
  }

  // Success: confirm on the next page. Refusal: the same page again, saying why.
  async function answer(req: Request, res: Response, outcome: Outcome, values: object, next = `/projects/${String(req.params.projectId)}/members`) {
    if (outcome.ok) {
      flash(req, outcome.message);
      return res.redirect(303, next);
    }
    const errors: FieldErrors = outcome.field ? { [outcome.field]: [outcome.message] } : {};
    return showPage(req, res, outcome.status, { values, errors, alert: outcome.field ? undefined : outcome.message });
  }

  router.get(base, (req, res) => showPage(req, res));

  router.post(base, csrf.csrfSynchronisedProtection, async (req, res) => {
    const values = { email: req.body?.email ?? "", role: req.body?.role ?? "member" };
    const form = parseInput(addForm, req.body);
    if (!form.ok) {
      // Only owners may see the form at all, invalid or not.
      await deps.members.assertOwner(currentUser(req), String(req.params.projectId));
      return showPage(req, res, 400, { values, errors: form.errors });
    }
    await answer(req, res, await deps.members.add(currentUser(req), String(req.params.projectId), form.data), values);
  });

  router.post(`${base}/:userId/role`, csrf.csrfSynchronisedProtection, async (req, res) => {
    const form = parseInput(roleForm, req.body);
    if (!form.ok) {
      await deps.members.assertOwner(currentUser(req), String(req.params.projectId));
      return showPage(req, res, 400, { alert: "Choose owner or member for the new role." });
    }
    await answer(req, res, await deps.members.changeRole(currentUser(req), String(req.params.projectId), String(req.params.userId), form.data.role), {});
  });

  router.post(`${base}/:userId/remove`, csrf.csrfSynchronisedProtection, async (req, res) => {
    const me = currentUser(req);
    const outcome = await deps.members.remove(me, String(req.params.projectId), String(req.params.userId));
    // Whoever removed themselves can no longer see the project.
    await answer(req, res, outcome, {}, req.params.userId === me.id ? "/projects" : undefined);
  });

  router.post("/projects/:projectId/leave", csrf.csrfSynchronisedProtection, async (req, res) => {
    await answer(req, res, await deps.members.leave(currentUser(req), String(req.params.projectId)), {}, "/projects");
  });

  return router;
}
