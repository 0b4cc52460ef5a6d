// Prometheus metrics (prom-client), one registry per process part so tests can
// run many apps side by side. Three sources:
//   - counters and a latency histogram fed by the delivery worker's onOutcome;
//   - an HTTP duration histogram labelled by route pattern (never the raw URL,
//     which would carry ids and make a series per issue);
//   - gauges read from the database at scrape time (outbox depth and age, dead
//     rows, suspended and broken integrations), the same on every instance.
import crypto from "node:crypto";
import type { Request, RequestHandler } from "express";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { OperationsRepository, OperationsSnapshot } from "./operations.repository.ts";

export type DeliveryOutcome = "sent" | "retry" | "dead" | "gone" | "unauthorized" | "rate_limited";
export interface DeliveryOutcomeEvent {
  outcome: DeliveryOutcome;
  queuedAt: Date;
  integrationId: string;
}

export interface Metrics {
  registry: Registry;
  /** For DeliveryWorkerOptions.onOutcome. */
  observeDelivery(event: DeliveryOutcomeEvent): void;
  /** Times each HTTP request by its route pattern. */
  httpMiddleware: RequestHandler;
}

export function createMetrics(operations: OperationsRepository, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const deliveries = new Counter({
    name: "tracker_deliveries_total",
    help: "Delivery attempts to Flowdock by outcome (gone = HTTP 410, unauthorized = HTTP 401).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  // Every outcome is reported from the start (as 0), so rate() works before the first of each.
  for (const outcome of ["sent", "retry", "dead", "gone", "unauthorized", "rate_limited"] as const) deliveries.inc({ outcome }, 0);
  const latency = new Histogram({
    name: "tracker_delivery_latency_seconds",
    help: "From an activity being queued to Flowdock accepting it.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "tracker_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern and status code.",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // One database read per scrape serves every gauge below.
  let pending: Promise<OperationsSnapshot> | undefined;
  const snapshot = () => {
    pending ??= operations.snapshot().finally(() => { pending = undefined; });
    return pending;
  };
  const fromDatabase = (name: string, help: string, pick: (s: OperationsSnapshot) => number) =>
    new Gauge({
      name, help, registers: [registry],
      async collect() {
        this.set(pick(await snapshot()));
      },
    });
  fromDatabase("tracker_outbox_pending", "Activities waiting to be delivered.", (s) => s.outboxPending);
  fromDatabase("tracker_outbox_oldest_pending_age_seconds", "Age of the oldest undelivered activity (0 when none).", (s) => s.oldestPendingAgeSeconds);
  fromDatabase("tracker_outbox_oldest_due_age_seconds", "How long the oldest deliverable activity has been due (0 when none).", (s) => s.oldestDueAgeSeconds);
  fromDatabase("tracker_outbox_dead", "Deliveries parked as failed, waiting for a person to retry them.", (s) => s.deadRows);
  fromDatabase("tracker_integrations_suspended", "Active integrations that currently receive nothing (project archived, connector gone).", (s) => s.suspendedIntegrations);
  fromDatabase("tracker_integrations_broken", "Integrations whose flow token Flowdock refused (HTTP 401).", (s) => s.brokenIntegrations);

  return {
    registry,
    observeDelivery({ outcome, queuedAt }) {
      deliveries.inc({ outcome });
      if (outcome === "sent") latency.observe(Math.max(0, (Date.now() - queuedAt.getTime()) / 1000));
    },
    httpMiddleware(req, res, next) {
      const end = httpDuration.startTimer();
      res.once("finish", () => end({ method: req.method, route: routeOf(req), status_code: String(res.statusCode) }));
      next();
    },
  };
}

function routeOf(req: Request): string {
  if (req.route) return `${req.baseUrl}${String(req.route.path)}`;
  if (req.baseUrl) return `${req.baseUrl}/*`; // a mounted app or static folder
  return "(unmatched)";
}

/**
 * Serves the registry. With a token configured, only a scraper sending
 * `Authorization: Bearer <token>` is answered; without one, the route doesn't
 * exist (404), so metrics are never public by accident.
 */
export function metricsHandler(registry: Registry, token: string | undefined): RequestHandler {
  const expected = token ? crypto.createHash("sha256").update(token).digest() : undefined;
  return async (req, res, next) => {
    if (!expected) return next();
    const given = /^Bearer (.+)$/.exec(req.get("authorization") ?? "")?.[1] ?? "";
    if (!crypto.timingSafeEqual(crypto.createHash("sha256").update(given).digest(), expected)) {
      res.status(401).set("www-authenticate", 'Bearer realm="metrics"').json({ error: { code: "UNAUTHENTICATED", message: "A valid metrics token is required" } });
      return;
    }
    res.set("content-type", registry.contentType).set("cache-control", "no-store");
    res.send(await registry.metrics());
  };
}
