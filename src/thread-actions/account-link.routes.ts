// The page an authentication challenge leads to: the person signs in to Tracker
// (requireUser brings them back here), confirms which Tracker account to link,
// authorizes with Flowdock, and is linked. Account settings show and remove the link.
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type passport from "passport";
import { AppError } from "../errors.ts";
import { currentUser, requireUser } from "../accounts/require-user.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { flash } from "../web/flash.ts";
import { csrf } from "../web/session.ts";
import { completeLink } from "./account-link.service.ts";
import { FLOWDOCK_LINK_SCOPES, FLOWDOCK_LINK_STRATEGY, isLinkState, pendingLink, type PendingLink } from "./flowdock-link-oauth.ts";
import type { FlowdockLinksRepository } from "./flowdock-links.repository.ts";
import { CLAIM_LIFETIME_SECONDS, type LinkClaims } from "./link-claim.ts";

const PRESS_AGAIN = "Go back to the flow and press the action again: Flowdock will show a fresh sign-in link.";

export function accountLinkRoutes(deps: { auth: passport.PassportStatic; claims: LinkClaims; flowdock: FlowdockClient; links: FlowdockLinksRepository }): Router {
  const router = Router();

  router.get("/flowdock/link", requireUser, async (req, res) => {
    const flowdockUserId = await deps.claims.verify(req.query.claim);
    req.session.flowdockLink = { flowdockUserId, expiresAt: Date.now() + CLAIM_LIFETIME_SECONDS * 1000 };
    res.render("thread-actions/link", { title: "Link your Flowdock account", user: currentUser(req) });
  });

  router.post("/flowdock/link", requireUser, csrf.csrfSynchronisedProtection, (req, res, next) => {
    if (!pendingLink(req)) throw linkExpired();
    deps.auth.authenticate(FLOWDOCK_LINK_STRATEGY, { scope: FLOWDOCK_LINK_SCOPES } as passport.AuthenticateOptions)(req, res, next);
  });

  // Flowdock's one callback URI serves setups too: only a state this browser's
  // link sent is handled here, everything else goes on to the setup's handler.
  router.get("/auth/flowdock/callback", (req, res, next) => {
    if (!req.user || !isLinkState(req, req.query.state)) return next();
    const pending = pendingLink(req)!;
    if (typeof req.query.error === "string") {
      delete req.session.flowdockLink;
      throw new AppError("FORBIDDEN", `You chose not to let Tracker read your Flowdock profile, so your accounts were not linked. ${PRESS_AGAIN}`, { title: "Nothing was linked" });
    }
    if (typeof req.query.code !== "string" || !req.query.code) throw linkExpired();
    deps.auth.authenticate(FLOWDOCK_LINK_STRATEGY, { session: false }, (err: unknown, authorization: { accessToken: string } | false) => {
      if (err) return next(new AppError("UPSTREAM_UNAVAILABLE", `Flowdock did not complete the authorization, so nothing was linked. ${PRESS_AGAIN}`, { cause: err, title: "Authorization could not be completed" }));
      if (!authorization) return next(linkExpired());
      finishLink(req, res, next, pending, authorization.accessToken);
    })(req, res, next);
  });

  function finishLink(req: Request, res: Response, next: NextFunction, pending: PendingLink, accessToken: string) {
    completeLink(deps, currentUser(req), pending, accessToken).then(({ flowdockName }) => {
      delete req.session.flowdockLink;
      flash(req, `Your Flowdock account ${flowdockName} is linked. Go back to the flow and press the action again.`);
      res.redirect(303, "/account#flowdock");
    }, next);
  }

  router.post("/account/flowdock-link/remove", requireUser, csrf.csrfSynchronisedProtection, async (req, res) => {
    const removed = await deps.links.unlink(currentUser(req).id);
    flash(req, removed ? "Your Flowdock account is no longer linked. Actions pressed in flows will ask you to sign in again." : "No Flowdock account was linked.");
    res.redirect(303, "/account#flowdock");
  });

  return router;
}

/** Tells the sign-in and sign-up pages that the person came from an action's sign-in link. */
export const linkContextLocals: RequestHandler = (req, res, next) => {
  const target = req.session?.returnTo;
  res.locals.linkingFlowdock = typeof target === "string" && target.startsWith("/flowdock/link?");
  next();
};

function linkExpired(): AppError {
  return new AppError("BAD_REQUEST", `This link has expired or was already used. ${PRESS_AGAIN}`, { title: "This link can't be used" });
}
