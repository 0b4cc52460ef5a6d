// The control API under /_simulator/, for tests and demos (mounted only when
// SIMULATOR_CONTROL_API=on or a test turns it on). JSON in, JSON out.
import { Router } from "express";
import { z } from "zod";
import type { SimulatorContext } from "../context.ts";
import { parseInput } from "../api/input.ts";
import { ApiError, apiErrorHandler, notFound } from "../api/api-error.ts";
import { FAULT_TARGETS, type FaultTarget } from "./faults.ts";

const rate = z.number().min(0).max(1);
const conditionsInput = z.object({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  errorRate: rate.optional(),
  timeoutRate: rate.optional(),
}).strict();
const forceInput = z.object({
  status: z.union([z.number().int().min(100).max(599), z.literal("timeout")]),
  count: z.number().int().min(1).max(100_000).default(1),
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
}).strict();
const rateLimitInput = z.object({ max: z.number().int().min(1), windowMs: z.number().int().min(1) }).strict();
const clockInput = z.object({ advanceMs: z.number().int().min(0) }).strict();

function target(value: string): FaultTarget {
  if (!(FAULT_TARGETS as readonly string[]).includes(value)) {
    throw new ApiError(404, `Unknown fault target; use one of ${FAULT_TARGETS.join(", ")}`);
  }
  return value as FaultTarget;
}

export function controlRoutes(ctx: SimulatorContext, actions: { reset: () => Promise<void>; advanceClock: (ms: number) => void }): Router {
  const router = Router();

  // Another site could otherwise drive this API through a visitor's browser (a
  // plain form POST to /reset wiped everything): bodies must be JSON, which a
  // form can't send and a cross-site script can't send without a preflight we
  // never answer, and a browser's Origin must be the local Flowdock's own.
  // Tests and tools send no Origin at all.
  router.use((req, _res, next) => {
    const origin = req.get("origin");
    if (req.get("sec-fetch-site") === "cross-site" || (origin !== undefined && origin !== new URL(ctx.baseUrl()).origin)) {
      throw new ApiError(403, "The control API does not accept requests from other sites");
    }
    if (req.get("content-type") !== undefined && !req.is("application/json")) throw new ApiError(415, "The control API accepts JSON bodies only");
    next();
  });

  router.get("/state", (_req, res) => {
    res.json({ faults: ctx.faults.snapshot(), rateLimit: ctx.rateLimiter.current(), now: ctx.now() });
  });
  router.put("/faults/:target", (req, res) => {
    ctx.faults.set(target(req.params.target), parseInput(conditionsInput, req.body));
    res.json(ctx.faults.snapshot());
  });
  router.post("/faults/:target/next", (req, res) => {
    const { count, ...forced } = parseInput(forceInput, req.body);
    ctx.faults.force(target(req.params.target), { ...forced, remaining: count });
    res.json(ctx.faults.snapshot());
  });
  router.delete("/faults", (_req, res) => {
    ctx.faults.clear();
    ctx.faults.releaseHanging();
    res.json(ctx.faults.snapshot());
  });
  router.put("/rate-limit", (req, res) => {
    ctx.rateLimiter.configure(parseInput(rateLimitInput, req.body));
    res.json({ rateLimit: ctx.rateLimiter.current() });
  });
  // Off again (a JSON body of `null` is not accepted by the JSON parser, so a verb of its own).
  router.delete("/rate-limit", (_req, res) => {
    ctx.rateLimiter.configure(null);
    res.json({ rateLimit: null });
  });
  // The source updates Flowdock accepted, oldest first; ?source=<id> for one source.
  router.get("/source-updates", (req, res) => {
    const source = Number(req.query.source);
    res.json(ctx.sourceUpdates.filter((u) => !Number.isFinite(source) || req.query.source === undefined || u.sourceId === source));
  });
  router.post("/clock", (req, res) => {
    actions.advanceClock(parseInput(clockInput, req.body).advanceMs);
    res.json({ now: ctx.now() });
  });
  router.post("/reset", async (_req, res) => {
    await actions.reset();
    res.json({ reset: true });
  });
  // Errors stay JSON here: the app's fallbacks after this router render HTML pages.
  router.use(() => { throw notFound(); });
  router.use(apiErrorHandler((err) => ctx.logger.error({ err }, "control request failed")));
  return router;
}
