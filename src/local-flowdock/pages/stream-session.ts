// The flow pages' live script opens the flow's event stream (the Streaming
// API's `GET /flows/:org/:flow` as text/event-stream) with EventSource, which
// cannot send an Authorization header. As Flowdock's own web app was signed in
// by its session, a request for an event stream that brings no credentials of
// its own is taken as the signed-in person's. Only event-stream GETs: they
// change nothing, and another site can neither send the SameSite=lax cookie
// on such a request nor read the answer, so there is nothing to forge. As
// with HTTP Basic, no OAuth application acts for the person.
import type { Request, RequestHandler } from "express";
import type { SimulatorContext } from "../context.ts";
import type { Caller } from "../api/authenticate.ts";

function asksForEventStream(req: Request): boolean {
  const wanted = typeof req.query.accept === "string" ? req.query.accept : req.get("accept") ?? "";
  return wanted.includes("text/event-stream");
}

function bringsCredentials(req: Request): boolean {
  return req.get("authorization") !== undefined || req.query.access_token !== undefined;
}

export function pageSessionForStreams(ctx: SimulatorContext, session: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (req.method !== "GET" || !asksForEventStream(req) || bringsCredentials(req)) return next();
    session(req, res, (err?: unknown) => {
      if (err) return next(err);
      const id = req.session.flowdockUserId;
      const user = id ? ctx.store.directory.userById(id) : undefined;
      if (user) res.locals.caller = { user, application: null, scopes: ["flow"] } satisfies Caller;
      next();
    });
  };
}
