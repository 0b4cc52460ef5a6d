// A person's own account: their name, their password, and leaving the site.
// Changing the password or deleting the account asks for the current password,
// so a session left open on a shared computer can't do either.
import { hashPassword, verifyPassword } from "../crypto/password.ts";
import { sha256 } from "../crypto/random.ts";
import type { Limiter } from "../web/rate-limits.ts";
import type { MembershipsRepository } from "../tracker/memberships.repository.ts";
import { normalizeEmail, type User, type UsersRepository } from "./users.repository.ts";

export type AccountOutcome =
  | { ok: true; message: string }
  | { ok: false; field: string; message: string }
  | { ok: false; soleOwnerOf: { id: string; name: string }[] };

const WRONG_PASSWORD = "That is not your current password.";

export interface AccountDeps {
  users: UsersRepository;
  memberships: MembershipsRepository;
  /** The sign-in limit per account: guesses here and at sign-in count together. */
  passwordGuesses?: Limiter;
}

export function accountService(deps: AccountDeps) {
  async function passwordMatches(user: User, password: string): Promise<boolean> {
    const key = sha256(normalizeEmail(user.email));
    await deps.passwordGuesses?.consume(key);
    const hash = await deps.users.passwordHashOf(user.id);
    const ok = hash !== null && (await verifyPassword(password, hash));
    if (ok) await deps.passwordGuesses?.reset(key);
    return ok;
  }

  return {
    async rename(user: User, name: string): Promise<AccountOutcome> {
      await deps.users.rename(user.id, name);
      return { ok: true, message: `Your name is now “${name}”.` };
    },

    async changePassword(user: User, current: string, next: string, sessionId: string): Promise<AccountOutcome> {
      if (!(await passwordMatches(user, current))) return { ok: false, field: "currentPassword", message: WRONG_PASSWORD };
      await deps.users.setPasswordHash(user.id, await hashPassword(next), sessionId);
      return { ok: true, message: "Your password was changed, and you were signed out everywhere else. Use the new one next time you sign in." };
    },

    /** Projects that would be left without an owner: shown before the person tries. */
    soleOwnerOf: (user: User) => deps.memberships.soleOwnerOf(user.id),

    // The account stays as a scrubbed row: issues and comments the person
    // wrote are kept, shown as by "a deleted account"; integrations they
    // connected are suspended until a project member takes them over.
    async delete(user: User, password: string): Promise<AccountOutcome> {
      if (!(await passwordMatches(user, password))) return { ok: false, field: "password", message: WRONG_PASSWORD };
      const result = await deps.users.deleteUnlessSoleOwner(user.id);
      if (!result.deleted) return { ok: false, soleOwnerOf: result.soleOwnerOf };
      return { ok: true, message: "Your account was deleted. Issues and comments you wrote stay in their projects, shown as by a deleted account." };
    },
  };
}

export type AccountService = ReturnType<typeof accountService>;
