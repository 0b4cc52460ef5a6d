// The Tokens page (as the hosted /account/tokens): the person's API token for
// HTTP Basic, and a button that replaces it. Tokens are kept only as hashes, so
// the full token is shown once, on the answer to generating it.
import { Router } from "express";
import type { SimulatorContext } from "../context.ts";
import { csrf } from "./web-session.ts";
import { currentUser, requireUser } from "./current-user.ts";

export function apiTokensRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;
  router.use("/account/tokens", requireUser);

  router.get("/account/tokens", (_req, res) => {
    res.render("tokens", { title: "API tokens", existing: store.apiTokens.ofUser(currentUser(res).id) ?? null, fresh: null });
  });

  router.post("/account/tokens", csrf.csrfSynchronisedProtection, (_req, res) => {
    const user = currentUser(res);
    const fresh = store.apiTokens.regenerate(user.id);
    // Shown in this answer only; it must not linger in a cache.
    res.set("Cache-Control", "no-store").render("tokens", { title: "API tokens", existing: store.apiTokens.ofUser(user.id) ?? null, fresh });
  });

  return router;
}
