// One 404 handler and one error handler. Each answers JSON to API clients and a
// product page to browsers, chosen by the Accept header. Internal errors are
// logged with their cause and shown without one.
import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import { AppError, databaseUnavailable, fromHttpError, notFound } from "../errors.ts";
import { databaseFaultOf, describeFault } from "../db/database-faults.ts";
import type { Logger } from "../observability/logger.ts";

export function wantsJson(req: Request): boolean {
  return req.accepts(["html", "json"]) === "json";
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(notFound());
};

export function errorHandler(logger: Logger, view = "error"): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // The request's own logger carries its request id.
    const log = (req as { log?: Logger }).log ?? logger;
    const fault = err instanceof AppError ? undefined : databaseFaultOf(err);
    const known = fromHttpError(err) ?? (fault ? databaseUnavailable(describeFault(fault.kind), err) : undefined);
    const error = known ?? new AppError("INTERNAL", "Something went wrong on our side", { cause: err });
    if (fault) log.warn({ fault: fault.kind, driverCode: fault.code, method: req.method, path: req.path }, "database unavailable");
    else if (error.status >= 500) log.error({ err, code: error.code, method: req.method, path: req.path }, "request failed");
    else log.info({ code: error.code, method: req.method, path: req.path }, error.message);
    if (res.headersSent) return;
    res.status(error.status);
    if (error.retryAfterSeconds !== undefined) res.set("Retry-After", String(error.retryAfterSeconds));
    if (wantsJson(req)) {
      res.json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}), ...(error.action ? { action: error.action } : {}), ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}) } });
      return;
    }
    res.render(view, { title: error.title ?? titleFor(error.status), error });
  };
}

function titleFor(status: number): string {
  if (status === 404) return "Not found";
  if (status === 401) return "Please sign in";
  if (status === 403) return "Not allowed";
  if (status === 429) return "Too many attempts";
  if (status >= 500) return "Something went wrong";
  return "That didn't work";
}
