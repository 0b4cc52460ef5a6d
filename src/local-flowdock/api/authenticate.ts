// Authentication for the REST API, the three ways of the hosted service:
// an OAuth access token (`Authorization: Bearer …` or `?access_token=`), or HTTP
// Basic with a person's email and password or with their personal API token as
// the username (the password is then ignored). Every authenticated answer names
// its user in a `Flowdock-User` header, as the hosted API's answers do.
import type { RequestHandler, Request } from "express";
import type { SimulatorContext } from "../context.ts";
import type { UserRow } from "../store/directory.repository.ts";
import type { ApplicationRow } from "../store/applications.repository.ts";
import { verifyPassword } from "../../crypto/password.ts";
import { ApiError } from "./api-error.ts";

export interface Caller {
  user: UserRow;
  /** The OAuth application acting for the user; null for HTTP Basic. */
  application: ApplicationRow | null;
  scopes: string[];
}

// Basic credentials act as the person themselves: the docs' default scopes
// (flow, private) plus profile and manage. Not `integration`: a source belongs to
// an OAuth application, which Basic credentials don't name.
export const BASIC_SCOPES = ["flow", "private", "manage", "profile"];

type AuthContext = Pick<SimulatorContext, "store" | "now" | "signInLimit">;

export function bearerToken(req: Request): string | undefined {
  const header = req.get("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (match) return match[1];
  const query = req.query.access_token;
  return typeof query === "string" && query ? query : undefined;
}

function basicCredentials(req: Request): { username: string; password: string } | undefined {
  const match = req.get("authorization")?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? { username: decoded, password: "" } : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const CHALLENGE = 'Bearer realm="Flowdock", Basic realm="Flowdock"';

function unauthorized(message: string, error = "invalid_token") {
  return new ApiError(401, message, undefined, { "WWW-Authenticate": `Bearer realm="Flowdock", error="${error}", error_description="${message}"` });
}

/** The caller of this request, or an ApiError (401, 403 or 429) saying why not. */
export async function identify(ctx: AuthContext, req: Request, acceptedScopes: string[]): Promise<Caller> {
  const caller = await credentialsOf(ctx, req);
  if (!acceptedScopes.some((s) => caller.scopes.includes(s))) {
    throw new ApiError(403, `This action needs one of the scopes: ${acceptedScopes.join(", ")}`, undefined, {
      "WWW-Authenticate": `Bearer realm="Flowdock", error="insufficient_scope", scope="${acceptedScopes.join(" ")}"`,
    });
  }
  return caller;
}

async function credentialsOf(ctx: AuthContext, req: Request): Promise<Caller> {
  const { store } = ctx;
  const basic = basicCredentials(req);
  if (basic) return basicCaller(ctx, basic.username, basic.password);
  const token = bearerToken(req);
  if (!token) throw new ApiError(401, "Authentication required", undefined, { "WWW-Authenticate": CHALLENGE });
  const row = store.grants.accessToken(token);
  if (!row) throw unauthorized("The access token is invalid");
  if (row.expires_at <= ctx.now()) throw unauthorized("The access token expired");
  return { user: store.directory.userById(row.user_id)!, application: store.applications.byId(row.application_id)!, scopes: row.scope.split(" ") };
}

async function basicCaller(ctx: AuthContext, username: string, password: string): Promise<Caller> {
  const refused = (message: string) => new ApiError(401, message, undefined, { "WWW-Authenticate": 'Basic realm="Flowdock"' });
  // API tokens never hold an "@"; an email always does.
  if (!username.includes("@")) {
    const userId = username ? ctx.store.apiTokens.userIdByToken(username) : undefined;
    if (userId === undefined) throw refused("The API token is invalid");
    return { user: ctx.store.directory.userById(userId)!, application: null, scopes: BASIC_SCOPES };
  }
  // A password over Basic is a sign-in like any other: it counts against the account's limit.
  const waitSeconds = await ctx.signInLimit.attempt(username);
  if (waitSeconds !== null) throw new ApiError(429, "Too many sign-in attempts for this account", undefined, { "Retry-After": String(waitSeconds) });
  const user = ctx.store.directory.userByEmail(username.trim());
  if (!user || !(await verifyPassword(password, user.password_hash))) throw refused("Wrong email or password");
  await ctx.signInLimit.succeeded(username);
  return { user, application: null, scopes: BASIC_SCOPES };
}

export function authenticate(ctx: AuthContext, acceptedScopes: string[]): RequestHandler {
  return async (req, res, next) => {
    const caller = await identify(ctx, req, acceptedScopes);
    res.locals.caller = caller;
    res.set("Flowdock-User", String(caller.user.id));
    next();
  };
}

export function callerOf(res: { locals: Record<string, unknown> }): Caller {
  return res.locals.caller as Caller;
}
