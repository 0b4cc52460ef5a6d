// Bearer authentication for the REST API, as the hosted service: the access token
// comes in `Authorization: Bearer …` or `?access_token=`, must not be expired,
// and must hold one of the scopes the endpoint accepts.
import type { RequestHandler, Request } from "express";
import type { Store } from "../store/store.ts";
import type { UserRow } from "../store/directory.repository.ts";
import type { ApplicationRow } from "../store/applications.repository.ts";
import { ApiError } from "./api-error.ts";

export interface Caller {
  user: UserRow;
  application: ApplicationRow;
  scopes: string[];
}

export function bearerToken(req: Request): string | undefined {
  const header = req.get("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (match) return match[1];
  const query = req.query.access_token;
  return typeof query === "string" && query ? query : undefined;
}

function unauthorized(message: string, error = "invalid_token") {
  return new ApiError(401, message, undefined, { "WWW-Authenticate": `Bearer realm="Flowdock", error="${error}", error_description="${message}"` });
}

export function authenticate(store: Store, now: () => number, acceptedScopes: string[]): RequestHandler {
  return (req, res, next) => {
    // Already known: the signed-in person asking for an event stream (pages/stream-session.ts).
    if (res.locals.caller) return next();
    const token = bearerToken(req);
    if (!token) throw new ApiError(401, "Authentication required", undefined, { "WWW-Authenticate": 'Bearer realm="Flowdock"' });
    const row = store.grants.accessToken(token);
    if (!row) throw unauthorized("The access token is invalid");
    if (row.expires_at <= now()) throw unauthorized("The access token expired");
    const scopes = row.scope.split(" ");
    if (!acceptedScopes.some((s) => scopes.includes(s))) {
      throw new ApiError(403, `This action needs one of the scopes: ${acceptedScopes.join(", ")}`, undefined, {
        "WWW-Authenticate": `Bearer realm="Flowdock", error="insufficient_scope", scope="${acceptedScopes.join(" ")}"`,
      });
    }
    const caller: Caller = { user: store.directory.userById(row.user_id)!, application: store.applications.byId(row.application_id)!, scopes };
    res.locals.caller = caller;
    next();
  };
}

export function callerOf(res: { locals: Record<string, unknown> }): Caller {
  return res.locals.caller as Caller;
}
