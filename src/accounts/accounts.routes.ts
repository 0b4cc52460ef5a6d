// Sign up, sign in and sign out of our own app.
import { Router, type Request, type Response, type NextFunction } from "express";
import type passport from "passport";
import { z } from "zod";
import { hashPassword } from "../crypto/password.ts";
import { parseInput, type FieldErrors } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import { limitRequests, type Limiter } from "../web/rate-limits.ts";
import { sha256 } from "../crypto/random.ts";
import { takeReturnTo } from "./require-user.ts";
import type { User, UsersRepository } from "./users.repository.ts";

const signUpForm = z.object({
  name: z.string().trim().min(1, "Enter your name").max(100, "At most 100 characters"),
  email: z.email("Enter an email address like name@example.com").max(254),
  password: z.string().min(8, "Use at least 8 characters").max(200, "At most 200 characters"),
});

export interface AccountLimits {
  signInPerAccount: Limiter;
  signInPerClient: Limiter;
  signUpPerClient: Limiter;
}

export function accountsRoutes(deps: { users: UsersRepository; auth: passport.PassportStatic; limits: AccountLimits }): Router {
  const router = Router();

  router.get("/sign-in", (req, res) => {
    if (req.user) return res.redirect(303, takeReturnTo(req));
    res.render("accounts/sign-in", { title: "Sign in", email: "", error: null });
  });

  router.post("/sign-in", csrf.csrfSynchronisedProtection, async (req, res, next) => {
    const email = typeof req.body?.email === "string" ? req.body.email : "";
    const client = clientKey(req);
    const account = sha256(email.trim().toLowerCase());
    // Counted before the password is checked, so parallel guesses can't slip
    // past the limit; a successful sign-in gives its attempts back.
    await deps.limits.signInPerClient.consume(client);
    await deps.limits.signInPerAccount.consume(account);
    deps.auth.authenticate("local", (err: unknown, user: User | false, info?: { message?: string }) => {
      if (err) return next(err);
      if (!user) {
        return res.status(401).render("accounts/sign-in", { title: "Sign in", email, error: info?.message ?? "Enter your email and password." });
      }
      Promise.all([deps.limits.signInPerClient.refund(client), deps.limits.signInPerAccount.reset(account)])
        .then(() => signInAndReturn(req, res, next, user), next);
    })(req, res, next);
  });

  router.get("/sign-up", (_req, res) => {
    res.render("accounts/sign-up", { title: "Create an account", values: {}, errors: {} });
  });

  router.post("/sign-up", csrf.csrfSynchronisedProtection, limitRequests(deps.limits.signUpPerClient, clientKey), async (req, res, next) => {
    const form = parseInput(signUpForm, req.body);
    const values = { name: req.body?.name ?? "", email: req.body?.email ?? "" };
    if (!form.ok) return showSignUp(res, values, form.errors);
    const created = await deps.users.create({ email: form.data.email, name: form.data.name, passwordHash: await hashPassword(form.data.password) });
    if (created === "email-taken") return showSignUp(res, values, { email: ["An account with this email exists already. Sign in instead."] });
    signInAndReturn(req, res, next, created);
  });

  router.post("/sign-out", csrf.csrfSynchronisedProtection, (req, res, next) => {
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy((destroyErr) => (destroyErr ? next(destroyErr) : res.redirect(303, "/")));
    });
  });

  return router;
}

// The client's address (behind a proxy, the one it forwarded: `trust proxy` in app.ts).
const clientKey = (req: Request) => req.ip ?? "unknown";

function showSignUp(res: Response, values: Record<string, string>, errors: FieldErrors) {
  res.status(400).render("accounts/sign-up", { title: "Create an account", values, errors });
}

// passport regenerates the session id on log-in (no session fixation); keeping
// the session's other data carries a setup in progress across the sign-in.
function signInAndReturn(req: Request, res: Response, next: NextFunction, user: User) {
  req.logIn(user, { session: true, keepSessionInfo: true }, (err) => {
    if (err) return next(err);
    req.session.signedInAt = Date.now();
    res.redirect(303, takeReturnTo(req));
  });
}
