// Liveness and readiness, for process managers and load balancers.
// /healthz says the process answers; /readyz says its database does too.
import { Router } from "express";

export function healthRoutes(checkDatabase: () => Promise<void>): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    try {
      await checkDatabase();
      res.json({ status: "ready" });
    } catch {
      res.status(503).json({ status: "unavailable", reason: "database unreachable" });
    }
  });
  return router;
}
