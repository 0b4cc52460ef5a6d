// Account settings: change one's name or password, and delete one's account.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { flash } from "../web/flash.ts";
import { parseInput, type FieldErrors } from "../web/form.ts";
import { csrf } from "../web/session.ts";
import type { FlowdockLinksRepository } from "../thread-actions/flowdock-links.repository.ts";
import type { AccountOutcome, AccountService } from "./account.service.ts";
import { currentUser, requireUser } from "./require-user.ts";

// The same rules as at sign-up.
const password = z.string().min(8, "Use at least 8 characters").max(200, "At most 200 characters");
const nameForm = z.object({ name: z.string().trim().min(1, "Enter your name").max(100, "At most 100 characters") });
const passwordForm = z.object({
  currentPassword: z.string().min(1, "Enter your current password").max(200),
  newPassword: password,
  confirmPassword: z.string().max(200),
}).refine((f) => f.newPassword === f.confirmPassword, { path: ["confirmPassword"], message: "The two new passwords are not the same." });
const deleteForm = z.object({ password: z.string().min(1, "Enter your password to confirm").max(200) });

type Shown = { values?: Record<string, string>; errors?: FieldErrors };

export function accountSettingsRoutes(deps: { account: AccountService; flowdockLinks: FlowdockLinksRepository }): Router {
  const router = Router();
  router.use("/account", requireUser);

  async function showSettings(req: Request, res: Response, status: number, shown: Shown = {}) {
    const user = currentUser(req);
    const flowdockLink = await deps.flowdockLinks.linkOf(user.id);
    res.status(status).render("accounts/settings", { title: "Account settings", user, flowdockLink, values: { name: user.name, ...shown.values }, errors: shown.errors ?? {} });
  }

  async function showDelete(req: Request, res: Response, status: number, shown: Shown & { soleOwnerOf?: { id: string; name: string }[] } = {}) {
    const soleOwnerOf = shown.soleOwnerOf ?? (await deps.account.soleOwnerOf(currentUser(req)));
    res.status(status).render("accounts/delete", { title: "Delete your account", soleOwnerOf, errors: shown.errors ?? {} });
  }

  function confirmOrShowAgain(req: Request, res: Response, outcome: AccountOutcome, again: (errors: FieldErrors) => unknown) {
    if (outcome.ok) {
      flash(req, outcome.message);
      return res.redirect(303, "/account");
    }
    return again("field" in outcome ? { [outcome.field]: [outcome.message] } : {});
  }

  router.get("/account", (req, res) => showSettings(req, res, 200));

  router.post("/account/name", csrf.csrfSynchronisedProtection, async (req, res) => {
    const values = { name: typeof req.body?.name === "string" ? req.body.name : "" };
    const form = parseInput(nameForm, req.body);
    if (!form.ok) return showSettings(req, res, 400, { values, errors: form.errors });
    confirmOrShowAgain(req, res, await deps.account.rename(currentUser(req), form.data.name), (errors) => showSettings(req, res, 400, { values, errors }));
  });

  // Passwords are never put back into the form.
  router.post("/account/password", csrf.csrfSynchronisedProtection, async (req, res) => {
    const form = parseInput(passwordForm, req.body);
    if (!form.ok) return showSettings(req, res, 400, { errors: form.errors });
    const outcome = await deps.account.changePassword(currentUser(req), form.data.currentPassword, form.data.newPassword, req.sessionID);
    confirmOrShowAgain(req, res, outcome, (errors) => showSettings(req, res, 400, { errors }));
  });

  router.get("/account/delete", (req, res) => showDelete(req, res, 200));

  router.post("/account/delete", csrf.csrfSynchronisedProtection, async (req, res, next) => {
    const form = parseInput(deleteForm, req.body);
    if (!form.ok) return showDelete(req, res, 400, { errors: form.errors });
    const outcome = await deps.account.delete(currentUser(req), form.data.password);
    if (!outcome.ok) {
      return "field" in outcome
        ? showDelete(req, res, 400, { errors: { [outcome.field]: [outcome.message] } })
        : showDelete(req, res, 409, { soleOwnerOf: outcome.soleOwnerOf });
    }
    // Signed out here and now; the new, anonymous session carries the confirmation.
    req.logout((err) => {
      if (err) return next(err);
      flash(req, outcome.message);
      res.redirect(303, "/");
    });
  });

  return router;
}
