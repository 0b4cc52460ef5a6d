// Sign-in with our own accounts: passport-local against scrypt hashes, the user
// id in the session. Each app gets its own Passport instance, so several apps
// (tests) never share strategies.
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { verifyPassword } from "../crypto/password.ts";
import type { User, UsersRepository } from "./users.repository.ts";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User {
      id: string;
      email: string;
      name: string;
      isSiteAdmin?: boolean;
    }
  }
}

// A real hash to compare against when the email is unknown, so a wrong email
// and a wrong password take the same time.
const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export function createAuthentication(users: UsersRepository): passport.PassportStatic {
  const auth = new passport.Passport() as passport.PassportStatic;
  auth.use(new LocalStrategy({ usernameField: "email", passwordField: "password" }, (email, password, done) => {
    checkCredentials(users, email, password).then((result) => {
      if (result === "disabled") return done(null, false, { message: ACCOUNT_DISABLED });
      done(null, result ?? false, result ? undefined : { message: "That email and password don't match an account." });
    }, done);
  }));
  auth.serializeUser((user, done) => done(null, (user as User).id));
  auth.deserializeUser((id: string, done) => {
    // A deleted or disabled account simply ends the session, on its next request.
    users.findSignedIn(id).then((user) => done(null, user ?? false), done);
  });
  return auth;
}

// Said only after the right password, so it tells nobody else that the account exists.
export const ACCOUNT_DISABLED = "This account has been disabled by a site administrator, so it can't sign in. Ask them to enable it again.";

async function checkCredentials(users: UsersRepository, email: string, password: string): Promise<User | "disabled" | null> {
  const found = await users.findCredentials(email);
  const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH);
  if (!found || !ok) return null;
  return found.disabled ? "disabled" : { id: found.id, email: found.email, name: found.name };
}
