// Managing who belongs to a project: owners add people by email, change their
// role and remove them; anyone can leave. Refusals a person can fix (an unknown
// email, the last owner) come back as outcomes for the page to show; permission
// failures are thrown (404 for non-members, 403 for members).
import type { UsersRepository } from "../accounts/users.repository.ts";
import type { MembershipsRepository } from "./memberships.repository.ts";
import type { ProjectsRepository, Role } from "./projects.repository.ts";
import { projectOfMember, projectOfOwner } from "./project-access.ts";
import type { Person } from "./issue.ts";

export type Outcome =
  | { ok: true; message: string }
  | { ok: false; status: 400 | 404 | 409; message: string; field?: "email" };

export interface MembersDeps {
  projects: ProjectsRepository;
  memberships: MembershipsRepository;
  users: UsersRepository;
}

const ROLE_WORDS: Record<Role, string> = { owner: "an owner", member: "a member" };

export function membersService(deps: MembersDeps) {
  // Integrations are suspended (derived from the data) once their connector is
  // gone; the person making the change hears it from us, the flow from Flowdock.
  async function pausedNote(projectId: string, userId: string, who: string): Promise<string> {
    const flows = await deps.projects.connectedFlows(projectId, userId);
    if (flows.length === 0) return "";
    const names = flows.map((f) => `${f.organizationName} / ${f.flowName}`).join(", ");
    const many = flows.length > 1;
    return ` The Flowdock integration${many ? "s" : ""} ${who} connected (${names}) ${many ? "are" : "is"} paused until a project member takes ${many ? "them" : "it"} over on ${many ? "their" : "its"} configuration page.`;
  }

  async function leave(actor: Person, projectId: string): Promise<Outcome> {
    const project = await projectOfMember(deps.projects, projectId, actor.id);
    const result = await deps.memberships.remove(project.id, actor.id);
    if (result === "last-owner") {
      return { ok: false, status: 409, message: `You are the only owner of “${project.name}”. Make someone else an owner before you leave, or delete the project.` };
    }
    if (result === "not-member") return { ok: true, message: `You are no longer in “${project.name}”.` };
    return { ok: true, message: `You left “${project.name}”.${await pausedNote(project.id, actor.id, "you")}` };
  }

  // People can change in an archived project too: its owners may need to hand
  // it over before they leave or delete their account.
  return {
    leave,

    async assertOwner(actor: Person, projectId: string): Promise<void> {
      await projectOfOwner(deps.projects, projectId, actor.id, "change who belongs to it");
    },

    async add(actor: Person, projectId: string, input: { email: string; role: Role }): Promise<Outcome> {
      const project = await projectOfOwner(deps.projects, projectId, actor.id, "add people");
      const person = await deps.users.findByEmail(input.email);
      if (!person) {
        return { ok: false, status: 400, field: "email", message: "No account uses this email. Ask the person to create an account in Tracker first, then add them here." };
      }
      const result = await deps.memberships.add(project.id, person.id, input.role);
      if (result === "already-member") return { ok: false, status: 409, field: "email", message: `${person.name} is already in this project.` };
      return { ok: true, message: `${person.name} (${person.email}) was added to “${project.name}” as ${ROLE_WORDS[input.role]}.` };
    },

    async changeRole(actor: Person, projectId: string, userId: string, role: Role): Promise<Outcome> {
      const project = await projectOfOwner(deps.projects, projectId, actor.id, "change people's roles");
      const person = (await deps.projects.members(project.id)).find((m) => m.id === userId);
      if (!person) return { ok: false, status: 404, message: "That person is not in this project (any more)." };
      if (person.role === role) return { ok: true, message: `${person.name} is already ${ROLE_WORDS[role]} of “${project.name}”.` };
      const result = await deps.memberships.changeRole(project.id, userId, role);
      if (result === "not-member") return { ok: false, status: 404, message: "That person is not in this project (any more)." };
      if (result === "last-owner") {
        return { ok: false, status: 409, message: `“${project.name}” needs at least one owner, and ${person.name} is the only one. Make someone else an owner first.` };
      }
      return { ok: true, message: `${person.name} is now ${ROLE_WORDS[role]} of “${project.name}”.` };
    },

    async remove(actor: Person, projectId: string, userId: string): Promise<Outcome> {
      if (userId === actor.id) return leave(actor, projectId);
      const project = await projectOfOwner(deps.projects, projectId, actor.id, "remove people");
      const person = (await deps.projects.members(project.id)).find((m) => m.id === userId);
      if (!person) return { ok: false, status: 404, message: "That person is not in this project (any more)." };
      const result = await deps.memberships.remove(project.id, userId);
      if (result === "not-member") return { ok: false, status: 404, message: "That person is not in this project (any more)." };
      if (result === "last-owner") {
        return { ok: false, status: 409, message: `“${project.name}” needs at least one owner, and ${person.name} is the only one. Make someone else an owner first.` };
      }
      return { ok: true, message: `${person.name} was removed from “${project.name}”.${await pausedNote(project.id, userId, "they")}` };
    },
  };
}

export type MembersService = ReturnType<typeof membersService>;
