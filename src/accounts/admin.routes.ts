// The site administrator's page: find accounts, disable and re-enable them. A
// disabled account can't sign in, its sessions stop working at their next
// request, and integrations it connected are suspended (derived from the data).
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import { AppError, notFound } from "../errors.ts";
import { flash } from "../web/flash.ts";
import { parseInput } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import { currentUser, requireUser } from "./require-user.ts";
import type { UsersRepository } from "./users.repository.ts";

const PAGE_SIZE = 100;
const searchQuery = z.object({ q: z.string().max(254).prefault("") });

const requireSiteAdmin: RequestHandler = (req, _res, next) => {
  if (currentUser(req).isSiteAdmin) return next();
  next(new AppError("FORBIDDEN", "Only a site administrator can manage accounts.", { title: "Administrators only" }));
};

export function adminRoutes(deps: { users: UsersRepository }): Router {
  const router = Router();
  router.use("/admin", requireUser, requireSiteAdmin);

  router.get("/admin/accounts", async (req, res) => {
    const query = parseInput(searchQuery, req.query);
    const q = query.ok ? query.data.q : "";
    const accounts = await deps.users.list(q, PAGE_SIZE + 1);
    res.render("admin/accounts", { title: "Accounts", accounts: accounts.slice(0, PAGE_SIZE), more: accounts.length > PAGE_SIZE, q, me: currentUser(req).id });
  });

  router.post("/admin/accounts/:userId/disable", csrf.csrfSynchronisedProtection, async (req, res) => {
    const userId = String(req.params.userId);
    // Locking oneself out would leave the site without the person who could undo it.
    if (userId === currentUser(req).id) throw new AppError("CONFLICT", "You can't disable your own account.", { action: { href: "/admin/accounts", label: "Back to accounts" } });
    const user = await deps.users.setDisabled(userId, true);
    if (!user) throw notFound("Account");
    flash(req, `${user.name} (${user.email}) is disabled: they can no longer sign in, and Flowdock integrations they connected are paused.`);
    res.redirect(303, "/admin/accounts");
  });

  router.post("/admin/accounts/:userId/enable", csrf.csrfSynchronisedProtection, async (req, res) => {
    const user = await deps.users.setDisabled(String(req.params.userId), false);
    if (!user) throw notFound("Account");
    flash(req, `${user.name} (${user.email}) can sign in again; integrations they connected post again if they are still in the project.`);
    res.redirect(303, "/admin/accounts");
  });

  return router;
}
