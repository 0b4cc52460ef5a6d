// Signing in to the local Flowdock (the seeded people: alice@ and bob@example.com).
import { Router } from "express";
import type { SimulatorContext } from "../context.ts";
import { verifyPassword } from "../../crypto/password.ts";
import { csrf, signIn, signOut } from "./web-session.ts";
import { safeReturnTo } from "./current-user.ts";

export function signInRoutes(ctx: SimulatorContext): Router {
  const router = Router();

  router.get("/", (_req, res) => {
    res.redirect(res.locals.user ? "/app" : "/login");
  });

  router.get("/login", (req, res) => {
    res.render("login", { title: "Sign in", returnTo: safeReturnTo(req.query.return_to), email: "", error: null });
  });

  router.post("/login", csrf.csrfSynchronisedProtection, async (req, res) => {
    const email = typeof req.body.email === "string" ? req.body.email.trim() : "";
    const password = typeof req.body.password === "string" ? req.body.password : "";
    const returnTo = safeReturnTo(req.body.return_to);
    const waitSeconds = await ctx.signInLimit.attempt(email);
    if (waitSeconds !== null) {
      res.status(429).set("Retry-After", String(waitSeconds)).render("error", {
        title: "Too many attempts",
        message: `Too many attempts to sign in to this account. Please wait and try again in ${Math.ceil(waitSeconds / 60)} minute(s).`,
      });
      return;
    }
    const user = email ? ctx.store.directory.userByEmail(email) : undefined;
    if (!user || !(await verifyPassword(password, user.password_hash))) {
      res.status(401).render("login", { title: "Sign in", returnTo, email, error: "That email and password don't match." });
      return;
    }
    await ctx.signInLimit.succeeded(email);
    await signIn(req, user.id);
    res.redirect(returnTo);
  });

  router.post("/logout", csrf.csrfSynchronisedProtection, async (req, res) => {
    await signOut(req);
    res.clearCookie("flowdock.sid").redirect("/login");
  });

  return router;
}
