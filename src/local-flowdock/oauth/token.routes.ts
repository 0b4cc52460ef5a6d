// POST /oauth/token: the authorization_code, refresh_token and password grants
// (RFC 6749 §4.1.3, §6, §4.3). Errors use the RFC's {error, error_description}.
import crypto from "node:crypto";
import { Router, type Request, type Response } from "express";
import type { SimulatorContext } from "../context.ts";
import type { ApplicationRow } from "../store/applications.repository.ts";
import { verifyPassword } from "../../crypto/password.ts";
import { randomToken, sha256 } from "../../crypto/random.ts";
import { parseScopes } from "./scopes.ts";

class OAuthError extends Error {
  constructor(readonly status: number, readonly error: string, description: string, readonly headers: Record<string, string> = {}) {
    super(description);
  }
}

const str = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

function verifierMatches(verifier: string | undefined, challenge: string): boolean {
  if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return crypto.createHash("sha256").update(verifier).digest("base64url") === challenge;
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function clientCredentials(req: Request): { id?: string | undefined; secret?: string | undefined } {
  const basic = req.get("authorization")?.match(/^Basic\s+(\S+)$/i);
  if (basic) {
    // RFC 6749 §2.3.1: both halves are URL-encoded; one that is not valid authenticates nobody.
    const [id, secret] = Buffer.from(basic[1]!, "base64").toString().split(":").map(formDecode);
    return { id, secret };
  }
  return { id: str(req.body?.client_id), secret: str(req.body?.client_secret) };
}

export function tokenRoutes(ctx: SimulatorContext): Router {
  const router = Router();
  const { store, now } = ctx;

  function authenticateClient(req: Request): ApplicationRow {
    const { id, secret } = clientCredentials(req);
    const app = id ? store.applications.byClientId(id) : undefined;
    if (!app || !secret || sha256(secret) !== sha256(app.client_secret)) {
      throw new OAuthError(401, "invalid_client", "Client authentication failed");
    }
    return app;
  }

  function issue(res: Response, app: ApplicationRow, userId: number, scopes: string[], grantId: string) {
    const scope = scopes.join(" ");
    const ttl = ctx.options.tokenTtlSeconds;
    const { accessToken, refreshToken } = store.grants.issueTokens({
      applicationId: app.id, userId, scope, ttlSeconds: ttl, grantId, withRefresh: scopes.includes("offline_access"),
    });
    res.set("Cache-Control", "no-store").json({
      access_token: accessToken,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      expires_in: ttl,
      token_type: "bearer",
      scope,
      created_at: Math.floor(now() / 1000),
    });
  }

  const grants: Record<string, (req: Request, res: Response, app: ApplicationRow) => Promise<void> | void> = {
    authorization_code(req, res, app) {
      const code = str(req.body?.code);
      if (!code) throw new OAuthError(400, "invalid_request", "code is required");
      const row = store.grants.codeByValue(code);
      if (!row || row.application_id !== app.id) throw new OAuthError(400, "invalid_grant", "The authorization code is invalid");
      if (row.used_at !== null) {
        // A replayed code may be stolen: revoke everything it bought (RFC 6749 §4.1.2).
        store.grants.revokeGrant(row.code_hash);
        throw new OAuthError(400, "invalid_grant", "The authorization code was already used");
      }
      if (row.expires_at <= now()) throw new OAuthError(400, "invalid_grant", "The authorization code expired");
      const redirectUri = str(req.body?.redirect_uri);
      if ((row.redirect_uri !== null || redirectUri !== undefined) && redirectUri !== (row.redirect_uri ?? app.callback_uri)) {
        throw new OAuthError(400, "invalid_grant", "redirect_uri does not match the one the code was issued for");
      }
      // PKCE: a code issued for a challenge is redeemed only with its verifier (RFC 7636 §4.6).
      if (row.code_challenge !== null && !verifierMatches(str(req.body?.code_verifier), row.code_challenge)) {
        throw new OAuthError(400, "invalid_grant", "code_verifier does not match the code_challenge");
      }
      if (!store.grants.useCode(code)) throw new OAuthError(400, "invalid_grant", "The authorization code was already used");
      issue(res, app, row.user_id, row.scope.split(" "), row.code_hash);
    },
    refresh_token(req, res, app) {
      const token = str(req.body?.refresh_token);
      if (!token) throw new OAuthError(400, "invalid_request", "refresh_token is required");
      const row = store.grants.refreshToken(token);
      if (!row || row.application_id !== app.id) throw new OAuthError(400, "invalid_grant", "The refresh token is invalid");
      if (row.revoked_at !== null || !store.grants.revokeRefreshToken(token)) {
        store.grants.revokeGrant(row.grant_id);
        throw new OAuthError(400, "invalid_grant", "The refresh token was already used or revoked");
      }
      issue(res, app, row.user_id, row.scope.split(" "), row.grant_id);
    },
    async password(req, res, app) {
      const email = str(req.body?.username);
      const password = str(req.body?.password);
      if (!email || !password) throw new OAuthError(400, "invalid_request", "username and password are required");
      const scopes = parseScopes(req.body?.scope);
      if (!scopes) throw new OAuthError(400, "invalid_scope", "Unknown scope");
      const waitSeconds = await ctx.signInLimit.attempt(email);
      // RFC 6749 has no code for this; "slow_down" (RFC 8628 §3.5) is the
      // registered one that means "ask less often", with Retry-After saying when.
      if (waitSeconds !== null) throw new OAuthError(429, "slow_down", "Too many sign-in attempts for this account; try again later", { "Retry-After": String(waitSeconds) });
      const user = store.directory.userByEmail(email);
      if (!user || !(await verifyPassword(password, user.password_hash))) {
        throw new OAuthError(400, "invalid_grant", "Wrong email or password");
      }
      await ctx.signInLimit.succeeded(email);
      issue(res, app, user.id, scopes, randomToken(16));
    },
  };

  router.post("/oauth/token", async (req, res) => {
    try {
      const grantType = str(req.body?.grant_type);
      if (!grantType) throw new OAuthError(400, "invalid_request", "grant_type is required");
      const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
      if (!grant) throw new OAuthError(400, "unsupported_grant_type", `grant_type ${grantType} is not supported`);
      await grant(req, res, authenticateClient(req));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 401) res.set("WWW-Authenticate", 'Basic realm="Flowdock"');
      res.status(err.status).set(err.headers).set("Cache-Control", "no-store").json({ error: err.error, error_description: err.message });
    }
  });

  return router;
}
