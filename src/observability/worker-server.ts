// The small HTTP face of a worker run alone (`npm run worker`): /healthz for the
// process manager, /readyz for whoever watches delivery (ready = the database
// answers and nothing deliverable has waited longer than allowed), /metrics for
// Prometheus. Nothing else is served.
import express from "express";
import { healthRoutes, type ReadinessCheck } from "../web/health.routes.ts";
import { databaseFaultOf, describeFault } from "../db/database-faults.ts";
import type { OperationsRepository } from "./operations.repository.ts";
import { metricsHandler, type Metrics } from "./metrics.ts";
import type { Logger } from "./logger.ts";

export interface WorkerServerOptions {
  operations: OperationsRepository;
  metrics: Metrics;
  metricsToken: string | undefined;
  /** Not ready once the oldest deliverable row has been due longer than this. */
  maxDueAgeSeconds: number;
  logger?: Logger;
}

export function workerReadiness(operations: OperationsRepository, maxDueAgeSeconds: number): ReadinessCheck {
  return async () => {
    try {
      const { oldestDueAgeSeconds } = await operations.snapshot();
      if (oldestDueAgeSeconds > maxDueAgeSeconds) {
        return { ready: false, reason: `the oldest deliverable activity has waited ${Math.round(oldestDueAgeSeconds)} s (more than ${maxDueAgeSeconds} s)` };
      }
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: describeFault(databaseFaultOf(err)?.kind ?? "unreachable") };
    }
  };
}

export function createWorkerServer(options: WorkerServerOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(options.metrics.httpMiddleware);
  app.use(healthRoutes(workerReadiness(options.operations, options.maxDueAgeSeconds), options.logger));
  app.get("/metrics", metricsHandler(options.metrics.registry, options.metricsToken));
  app.use((_req, res) => {
    res.status(404).json({ error: { code: "NOT_FOUND", message: "Page not found" } });
  });
  return app;
}
