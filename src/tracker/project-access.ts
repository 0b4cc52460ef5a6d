// Who may do what to a project: members see it, owners change it. A
// non-member gets the same 404 as for a project that doesn't exist, so ids
// reveal nothing; a member asking for an owner's action gets a 403 that says why.
import { AppError, notFound } from "../errors.ts";
import type { MemberProject, ProjectsRepository } from "./projects.repository.ts";

export async function projectOfMember(projects: ProjectsRepository, projectId: string, userId: string): Promise<MemberProject> {
  const project = await projects.findForMember(projectId, userId);
  if (!project) throw notFound("Project");
  return project;
}

export async function projectOfOwner(projects: ProjectsRepository, projectId: string, userId: string, action: string): Promise<MemberProject> {
  const project = await projectOfMember(projects, projectId, userId);
  if (project.role !== "owner") {
    throw new AppError("FORBIDDEN", `Only an owner of “${project.name}” can ${action}. Ask one of its owners.`, {
      title: "Owners only",
      action: { href: `/projects/${project.id}/members`, label: "See the project's owners" },
    });
  }
  return project;
}

/** Archived projects are read-only: refuses any change to their issues. */
export function assertWritable(project: MemberProject): void {
  if (!project.archivedAt) return;
  throw new AppError("CONFLICT", `“${project.name}” is archived, so it is read-only: nothing can be added or changed. An owner can unarchive it in the project's settings.`, {
    title: "This project is archived",
    action: { href: `/projects/${project.id}`, label: "Back to the project" },
  });
}
