// Liveness and readiness, for process managers and load balancers.
// /healthz says the process answers; /readyz says it can do its work (for the
// app: its database takes writes), and if not, why. A change of readiness is
// logged once, not on every probe.
import { Router } from "express";
import type { Logger } from "../observability/logger.ts";

export type ReadinessCheck = () => Promise<{ ready: true } | { ready: false; reason: string }>;

export function healthRoutes(checkReady: ReadinessCheck, logger?: Logger): Router {
  const router = Router();
  let lastReason: string | null = null;
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const result = await checkReady();
    const reason = result.ready ? null : result.reason;
    if (reason !== lastReason) {
      if (reason) logger?.warn({ reason }, "not ready");
      else logger?.info("ready again");
      lastReason = reason;
    }
    res.set("cache-control", "no-store");
    if (result.ready) res.json({ status: "ready" });
    else res.status(503).json({ status: "unavailable", reason: result.reason });
  });
  return router;
}
