// A request id on every log line of a request and on its response, so one
// person's trouble can be followed through the logs. An X-Request-Id set by the
// load balancer is kept when it looks like an id (so its logs and ours line up);
// anything else (too long, odd characters that could forge log structure) is
// replaced by a fresh UUID.
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers["x-request-id"];
  const id = typeof given === "string" && WELL_FORMED.test(given) ? given : crypto.randomUUID();
  res.setHeader("x-request-id", id);
  return id;
}
