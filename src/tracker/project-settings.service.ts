// An owner's decisions about a whole project: archive it (read-only, its
// Flowdock integrations paused), bring it back, or delete it for good.
import type { Person } from "./issue.ts";
import type { ConnectedFlow, MemberProject, ProjectsRepository } from "./projects.repository.ts";
import { projectOfOwner } from "./project-access.ts";

export type DeleteOutcome =
  | { ok: true; message: string }
  | { ok: false; reason: "name-mismatch" }
  | { ok: false; reason: "still-connected"; connected: ConnectedFlow[] };

export function projectSettingsService(deps: { projects: ProjectsRepository }) {
  return {
    ownerProject: (actor: Person, projectId: string, action: string): Promise<MemberProject> => projectOfOwner(deps.projects, projectId, actor.id, action),

    async archive(actor: Person, projectId: string): Promise<string> {
      const project = await projectOfOwner(deps.projects, projectId, actor.id, "archive it");
      if (!project.archivedAt) await deps.projects.setArchived(project.id, true);
      const flows = await deps.projects.connectedFlows(project.id);
      const paused = flows.length ? ` Its Flowdock integrations (${flows.length}) are paused, and each flow is told why, until it is unarchived.` : "";
      return `“${project.name}” is archived: it is read-only now.${paused}`;
    },

    async unarchive(actor: Person, projectId: string): Promise<string> {
      const project = await projectOfOwner(deps.projects, projectId, actor.id, "unarchive it");
      if (project.archivedAt) await deps.projects.setArchived(project.id, false);
      const flows = await deps.projects.connectedFlows(project.id);
      const resumed = flows.length ? " Its Flowdock integrations post again from the next change." : "";
      return `“${project.name}” is active again: issues can be opened, edited and commented.${resumed}`;
    },

    // Typing the name guards against deleting the wrong project from a stale tab.
    async delete(actor: Person, projectId: string, confirmName: string): Promise<DeleteOutcome> {
      const project = await projectOfOwner(deps.projects, projectId, actor.id, "delete it");
      if (confirmName.trim() !== project.name.trim()) return { ok: false, reason: "name-mismatch" };
      const result = await deps.projects.deleteUnlessConnected(project.id);
      if (!result.deleted) return { ok: false, reason: "still-connected", connected: result.connected };
      return { ok: true, message: `“${project.name}” was deleted, with its issues and comments.` };
    },
  };
}

export type ProjectSettingsService = ReturnType<typeof projectSettingsService>;
