// Issue pages: list, open, view, edit, close/reopen and comment.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import { AppError, notFound } from "../errors.ts";
import { parseInput, type FieldErrors } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import { PRIORITIES, type Issue } from "./issue.ts";
import type { IssuesRepository } from "./issues.repository.ts";
import type { IssueInput, IssuesService } from "./issues.service.ts";
import type { ProjectsRepository } from "./projects.repository.ts";
import { assertWritable } from "./project-access.ts";

const issueForm = z.object({
  title: z.string().trim().min(1, "Give the issue a title.").max(200, "At most 200 characters."),
  description: z.string().max(10_000, "At most 10,000 characters.").prefault(""),
  priority: z.enum(PRIORITIES, "Choose a priority.").prefault("normal"),
  labels: z.string().max(500).prefault("").transform((v) => [...new Set(v.split(",").map((l) => l.trim()).filter(Boolean))])
    .pipe(z.array(z.string().max(30, "Each label at most 30 characters.")).max(10, "At most 10 labels.")),
  assigneeId: z.string().max(64).prefault("").transform((v) => v || null),
});
const commentForm = z.object({ body: z.string().trim().min(1, "Write a comment first.").max(10_000, "At most 10,000 characters.") });
const issueNumber = z.coerce.number().int().positive().max(1e9);

export function issuesRoutes(deps: { issues: IssuesRepository; projects: ProjectsRepository; service: IssuesService }): Router {
  const router = Router();
  const base = "/projects/:projectId/issues";
  router.use(base, requireUser);

  async function pageContext(req: Request) {
    const project = await deps.projects.findForMember(String(req.params.projectId), currentUser(req).id);
    if (!project) throw notFound("Project");
    return { project, members: await deps.projects.members(project.id) };
  }

  function number(req: Request): number {
    const parsed = issueNumber.safeParse(req.params.number);
    if (!parsed.success) throw notFound("Issue");
    return parsed.data;
  }

  router.get(base, async (req, res) => {
    const { project } = await pageContext(req);
    const status = req.query.status === "closed" ? "closed" : "open";
    res.render("issues/index", { title: `${project.name} · Issues`, project, status, issues: await deps.issues.list(project.id, status) });
  });

  router.get(`${base}/new`, async (req, res) => {
    const ctx = await pageContext(req);
    assertWritable(ctx.project);
    res.render("issues/form", { title: "New issue", ...ctx, issue: null, values: {}, errors: {} });
  });

  // The service checks membership; the page context is only loaded to show the form again.
  router.post(base, csrf.csrfSynchronisedProtection, async (req, res) => {
    const form = parseInput(issueForm, req.body);
    const again = async (errors: FieldErrors) => showForm(res, { ...(await pageContext(req)), issue: null, values: req.body, errors });
    if (!form.ok) return again(form.errors);
    const issue = await withFieldErrors(() => deps.service.open(currentUser(req), String(req.params.projectId), form.data as IssueInput), again);
    if (issue) res.redirect(303, `/projects/${issue.projectId}/issues/${issue.number}`);
  });

  router.get(`${base}/:number`, async (req, res) => {
    const ctx = await pageContext(req);
    const issue = await deps.issues.findByNumber(ctx.project.id, number(req));
    if (!issue) throw notFound("Issue");
    res.render("issues/show", { title: `#${issue.number} ${issue.title}`, ...ctx, issue, comments: await deps.issues.comments(issue.id), errors: {} });
  });

  router.get(`${base}/:number/edit`, async (req, res) => {
    const ctx = await pageContext(req);
    assertWritable(ctx.project);
    const issue = await deps.issues.findByNumber(ctx.project.id, number(req));
    if (!issue) throw notFound("Issue");
    res.render("issues/form", { title: `Edit #${issue.number}`, ...ctx, issue, values: formValues(issue), errors: {} });
  });

  // As with opening: the service checks membership; the form's context only loads to show it again.
  router.post(`${base}/:number`, csrf.csrfSynchronisedProtection, async (req, res) => {
    const projectId = String(req.params.projectId);
    const again = async (errors: FieldErrors) => {
      const issue = await deps.service.issueOf(currentUser(req), projectId, number(req));
      showForm(res, { ...(await pageContext(req)), issue, values: req.body, errors });
    };
    const form = parseInput(issueForm, req.body);
    if (!form.ok) return again(form.errors);
    const saved = await withFieldErrors(() => deps.service.edit(currentUser(req), projectId, number(req), form.data as IssueInput), again);
    if (saved) res.redirect(303, `/projects/${saved.projectId}/issues/${saved.number}`);
  });

  router.post(`${base}/:number/close`, csrf.csrfSynchronisedProtection, async (req, res) => {
    const issue = await deps.service.close(currentUser(req), String(req.params.projectId), number(req));
    res.redirect(303, `/projects/${issue.projectId}/issues/${issue.number}`);
  });

  router.post(`${base}/:number/reopen`, csrf.csrfSynchronisedProtection, async (req, res) => {
    const issue = await deps.service.reopen(currentUser(req), String(req.params.projectId), number(req));
    res.redirect(303, `/projects/${issue.projectId}/issues/${issue.number}`);
  });

  router.post(`${base}/:number/comments`, csrf.csrfSynchronisedProtection, async (req, res) => {
    const ctx = await pageContext(req);
    assertWritable(ctx.project);
    const form = parseInput(commentForm, req.body);
    if (!form.ok) {
      const issue = await deps.service.issueOf(currentUser(req), ctx.project.id, number(req));
      return res.status(400).render("issues/show", { title: `#${issue.number} ${issue.title}`, ...ctx, issue, comments: await deps.issues.comments(issue.id), errors: form.errors });
    }
    await deps.service.comment(currentUser(req), ctx.project.id, number(req), form.data.body);
    res.redirect(303, `/projects/${ctx.project.id}/issues/${req.params.number}#comments`);
  });

  return router;
}

function showForm(res: Response, locals: { issue: Issue | null; values: unknown; errors: FieldErrors } & Record<string, unknown>) {
  res.status(400).render("issues/form", { title: locals.issue ? `Edit #${locals.issue.number}` : "New issue", ...locals, values: locals.values ?? {} });
}

// A validation error from the service (e.g. an assignee outside the project) goes back to the form.
async function withFieldErrors<T>(action: () => Promise<T>, onInvalid: (errors: FieldErrors) => unknown): Promise<T | undefined> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof AppError && err.code === "VALIDATION_FAILED" && err.details) {
      await onInvalid(err.details);
      return undefined;
    }
    throw err;
  }
}

function formValues(issue: Issue) {
  return { title: issue.title, description: issue.description, priority: issue.priority, labels: issue.labels.join(", "), assigneeId: issue.assignee?.id ?? "" };
}
