// Authentication by a source's flow_token (body or query string). A token of a
// deleted source answers 410 Gone, so the integration knows to clean up; an
// unknown token answers 401.
import type { Request } from "express";
import type { Store } from "../store/store.ts";
import type { SourceRow } from "../store/sources.repository.ts";
import { ApiError } from "./api-error.ts";

export function flowTokenOf(req: Request): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?.flow_token;
  if (typeof fromBody === "string" && fromBody) return fromBody;
  const fromQuery = req.query.flow_token;
  return typeof fromQuery === "string" && fromQuery ? fromQuery : undefined;
}

export function sourceByFlowToken(store: Store, token: string | undefined): SourceRow {
  if (!token) throw new ApiError(401, "flow_token is required");
  const source = token ? store.sources.byFlowToken(token) : undefined;
  if (!source) throw new ApiError(401, "Unknown flow_token");
  if (source.deleted_at) throw new ApiError(410, "The source of this flow_token was deleted");
  return source;
}
