// The app factory: everything the web app does, with no `listen`, so tests drive
// it with supertest and main.ts decides where it runs.
import path from "node:path";
import express from "express";
import { pinoHttp } from "pino-http";
import type { Config } from "./config.ts";
import type { Database } from "./db/prisma-client.ts";
import { redactUrl, type Logger } from "./observability/logger.ts";
import { securityHeaders } from "./web/security-headers.ts";
import { healthRoutes } from "./web/health.routes.ts";
import { errorHandler, notFoundHandler } from "./web/error-handlers.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
}

const ROOT = path.resolve(import.meta.dirname, "..");

export function createApp({ config, db, logger }: AppDeps): express.Express {
  const app = express();
  app.set("views", path.join(ROOT, "views"));
  app.set("view engine", "ejs");
  app.set("query parser", "simple");
  app.set("trust proxy", config.appBaseUrl.startsWith("https:") ? 1 : false);
  app.disable("x-powered-by");

  app.use(pinoHttp({
    logger,
    serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }) },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
  }));
  app.use(securityHeaders({ formTargets: [new URL(config.flowdock.oauthUrl).origin] }));
  app.use("/assets", express.static(path.join(ROOT, "public"), { maxAge: "1h" }));
  app.use(healthRoutes(async () => { await db.$queryRaw`SELECT 1`; }));
  app.use(express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 100 }));
  app.use(express.json({ limit: "64kb" }));

  app.get("/", (_req, res) => {
    res.render("home", { flowdockWebUrl: config.simulator.enabled ? `${config.simulator.baseUrl}/app` : null });
  });

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
