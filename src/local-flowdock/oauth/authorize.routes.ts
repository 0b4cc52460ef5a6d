// GET/POST /oauth/authorize: the consent step of the authorization code grant.
// An unknown client or a redirect_uri other than the registered callback gets an
// error page here (never a redirect to an unchecked address); every later
// problem, and a refusal, goes back to the callback as ?error=…&state=….
import { Router, type Request, type Response } from "express";
import type { SimulatorContext } from "../context.ts";
import type { ApplicationRow } from "../store/applications.repository.ts";
import { csrf } from "../pages/web-session.ts";
import { currentUser, requireUser } from "../pages/current-user.ts";
import { SCOPES, parseScopes } from "./scopes.ts";

interface AuthorizeRequest { app: ApplicationRow; redirectUri: string | null; scopes: string[]; state?: string | undefined; codeChallenge: string | null }

// PKCE (RFC 7636) when the client sends a challenge: S256 only (the RFC's
// "plain", also its default when no method is named, protects nothing against
// a leaked authorization request). The hosted Flowdock predates PKCE; a client
// that sends no challenge works as before.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function authorizeRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store } = ctx;

  function back(res: Response, app: ApplicationRow, params: Record<string, string | undefined>) {
    const url = new URL(app.callback_uri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    res.redirect(url.toString());
  }

  /** The request if it can go on; otherwise it has already been answered. */
  function check(req: Request, res: Response, input: Record<string, unknown>): AuthorizeRequest | undefined {
    const one = (v: unknown) => (typeof v === "string" ? v : undefined);
    const clientId = one(input.client_id);
    const app = clientId ? store.applications.byClientId(clientId) : undefined;
    if (!app) {
      res.status(400).render("oauth-error", { title: "Unknown application", message: "The application asking for access is not registered with Flowdock." });
      return undefined;
    }
    const redirectUri = one(input.redirect_uri) || null;
    if (redirectUri !== null && redirectUri !== app.callback_uri) {
      res.status(400).render("oauth-error", { title: "Wrong redirect address", message: `${app.name} asked to return to an address it has not registered.` });
      return undefined;
    }
    const state = one(input.state) || undefined;
    if (one(input.response_type) !== "code") {
      back(res, app, { error: "unsupported_response_type", error_description: "Only response_type=code is supported", state });
      return undefined;
    }
    const scopes = parseScopes(input.scope);
    if (!scopes) {
      back(res, app, { error: "invalid_scope", error_description: "Unknown scope", state });
      return undefined;
    }
    const codeChallenge = one(input.code_challenge) || null;
    if (codeChallenge !== null && (one(input.code_challenge_method) !== "S256" || !S256_CHALLENGE.test(codeChallenge))) {
      back(res, app, { error: "invalid_request", error_description: "code_challenge_method must be S256, with a 43-character base64url code_challenge", state });
      return undefined;
    }
    return { app, redirectUri, scopes, state, codeChallenge };
  }

  router.get("/oauth/authorize", requireUser, (req, res) => {
    const request = check(req, res, req.query);
    if (!request) return;
    res.render("consent", {
      title: `Authorize ${request.app.name}`,
      app: request.app,
      scopes: request.scopes.map((s) => ({ name: s, description: SCOPES[s] })),
      fields: {
        client_id: request.app.client_id, redirect_uri: request.redirectUri ?? "", response_type: "code", scope: request.scopes.join(" "), state: request.state ?? "",
        ...(request.codeChallenge ? { code_challenge: request.codeChallenge, code_challenge_method: "S256" } : {}),
      },
    });
  });

  router.post("/oauth/authorize", requireUser, csrf.csrfSynchronisedProtection, (req, res) => {
    const request = check(req, res, req.body ?? {});
    if (!request) return;
    if (req.body.decision !== "approve") {
      back(res, request.app, { error: "access_denied", error_description: "The user declined", state: request.state });
      return;
    }
    const code = store.grants.createCode({
      applicationId: request.app.id, userId: currentUser(res).id, redirectUri: request.redirectUri,
      scope: request.scopes.join(" "), ttlSeconds: ctx.options.codeTtlSeconds, codeChallenge: request.codeChallenge,
    });
    back(res, request.app, { code, state: request.state });
  });

  return router;
}
