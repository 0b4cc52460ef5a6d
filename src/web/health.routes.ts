// Liveness and readiness, for process managers and load balancers.
// /healthz says the process answers; /readyz says it can do its work (for the
// app: its database takes writes), and if not, why.
import { Router } from "express";

export type ReadinessCheck = () => Promise<{ ready: true } | { ready: false; reason: string }>;

export function healthRoutes(checkReady: ReadinessCheck): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const result = await checkReady();
    res.set("cache-control", "no-store");
    if (result.ready) res.json({ status: "ready" });
    else res.status(503).json({ status: "unavailable", reason: result.reason });
  });
  return router;
}
