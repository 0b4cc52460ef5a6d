// The Streaming API (docs/streaming.md). Hosted, it lived on its own host
// (stream.flowdock.com) with the same paths as REST; here it is served twice:
// under /stream (the stream host's stand-in: every request streams) and on the
// REST paths where the two can be told apart: `GET /flows` streams when it has
// a `filter` or `user` or asks for an event stream, and `GET /flows/:org/:flow`
// streams when it asks for one by `Accept` or `?accept=` (without, it stays
// the REST flow). Authentication is REST's; errors are REST's JSON, never a stream.
// `active` (presence) is accepted and ignored: the local Flowdock shows no presence.
// Who may see a flow is checked when the stream opens; someone removed from the
// flow later keeps the open stream until it ends (token expiry, server stop, or
// their reconnect, which then answers 404).
import { Router, type Request, type RequestHandler } from "express";
import type { SimulatorContext } from "../context.ts";
import { authenticate, bearerToken, callerOf } from "../api/authenticate.ts";
import { FLOW_READ_SCOPES } from "../api/flows.routes.ts";
import { ApiError, validationError } from "../api/api-error.ts";
import { params } from "../api/input.ts";
import type { StreamFormat } from "./stream-hub.ts";

const EVENT_STREAM = "text/event-stream";

function requestedFormat(req: Request): StreamFormat | undefined {
  const query = req.query.accept;
  const wanted = typeof query === "string" && query ? query : req.get("accept") ?? "";
  if (wanted.includes(EVENT_STREAM)) return "event-stream";
  if (typeof query === "string" && query.includes("application/json")) return "json";
  return undefined;
}

function lastEventId(req: Request): number | undefined {
  const raw = req.get("last-event-id") ?? (typeof req.query.last_event_id === "string" ? req.query.last_event_id : undefined);
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw validationError({ "Last-Event-ID": ["must be the id of an event this stream sent"] });
  return Number(raw);
}

export function streamingRoutes(ctx: SimulatorContext, options: { alwaysStream: boolean }): Router {
  const router = Router();
  const { store } = ctx;
  const auth = authenticate(ctx, FLOW_READ_SCOPES);
  const when = (test: (req: Request) => boolean): RequestHandler => (req, _res, next) => (options.alwaysStream || test(req) ? next() : next("route"));

  function open(req: Request, res: Parameters<RequestHandler>[1], flowIds: string[]) {
    const resumeFrom = lastEventId(req);
    // A HEAD has no body to stream: the headers a GET would get, then the end.
    if (req.method === "HEAD") {
      res.status(200).type(requestedFormat(req) === "event-stream" ? "text/event-stream" : "application/json").end();
      return;
    }
    // A stream ends when its access token expires; Basic credentials don't expire.
    const token = bearerToken(req);
    const expiresAt = (token && store.grants.accessToken(token)?.expires_at) || Number.POSITIVE_INFINITY;
    ctx.streams.attach(res, { format: requestedFormat(req) ?? "json", flowIds, lastEventId: resumeFrom, expiresAt });
  }

  router.get("/flows", when((req) => req.query.filter !== undefined || req.query.user !== undefined || requestedFormat(req) === "event-stream"), auth, (req, res) => {
    const filter = typeof req.query.filter === "string" ? req.query.filter : "";
    const names = filter.split(",").map((s) => s.trim()).filter(Boolean);
    // `user=1` streams private messages; the local Flowdock has none, so such a stream carries only keep-alives.
    if (names.length === 0 && req.query.user !== "1") throw validationError({ filter: ["is required: flows as organization/flow or flow ids, separated by commas"] });
    const { user } = callerOf(res);
    const flowIds = [...new Set(names.map((name) => {
      const [organization, flowName, extra] = name.split("/");
      const flow = flowName !== undefined && extra === undefined ? store.directory.flowByPath(organization!, flowName) : store.directory.flowById(name);
      if (!flow || !store.directory.canSee(user.id, flow.id)) throw new ApiError(404, `Flow not found: ${name}`);
      return flow.id;
    }))];
    open(req, res, flowIds);
  });

  router.get("/flows/:organization/:flow", when((req) => requestedFormat(req) !== undefined), auth, (req, res) => {
    const flow = store.directory.flowByPath(params(req).organization, params(req).flow);
    if (!flow || !store.directory.canSee(callerOf(res).user.id, flow.id)) throw new ApiError(404, "not found");
    open(req, res, [flow.id]);
  });

  return router;
}
