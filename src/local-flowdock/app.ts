// The local Flowdock: OAuth server, REST API and the pages a Flowdock user sees,
// as one Express app with no `listen` (server.ts starts it).
import path from "node:path";
import express from "express";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import type { SimulatorContext } from "./context.ts";
import { httpLogSerializers } from "../observability/logger.ts";
import { apiErrorHandler } from "./api/api-error.ts";
import { flowsRoutes } from "./api/flows.routes.ts";
import { sourcesRoutes } from "./api/sources.routes.ts";
import { messagesRoutes } from "./api/messages.routes.ts";
import { streamingRoutes } from "./streaming/streaming.routes.ts";
import { pushRoutes } from "./push/push.routes.ts";
import { peopleRoutes } from "./api/people.routes.ts";
import { chatRoutes } from "./api/chat.routes.ts";
import { tokenRoutes } from "./oauth/token.routes.ts";
import { authorizeRoutes } from "./oauth/authorize.routes.ts";
import { controlRoutes } from "./control/control.routes.ts";
import { webSession } from "./pages/web-session.ts";
import { textInputOnly } from "../web/form.ts";
import { loadCurrentUser } from "./pages/current-user.ts";
import { signInRoutes } from "./pages/sign-in.routes.ts";
import { flowPagesRoutes } from "./pages/flow-pages.routes.ts";
import { developerApplicationsRoutes } from "./pages/developer-applications.routes.ts";
import { threadActionsRoutes } from "./pages/thread-actions.routes.ts";
import { chatPagesRoutes } from "./pages/chat.routes.ts";
import { pageSessionForStreams } from "./pages/stream-session.ts";
import { apiTokensRoutes } from "./pages/api-tokens.routes.ts";

export interface LocalFlowdockActions {
  reset: () => Promise<void>;
  advanceClock: (ms: number) => void;
  checkReady: () => void;
}

const API_PATHS = ["/user", "/users", "/flows", "/organizations", "/sources", "/integrations", "/comments", "/private", "/stream", "/v1", "/activities"];
const BODY_LIMIT = "256kb";
const PAGE_PATHS = ["/login", "/logout", "/oauth/authorize", "/oauth/applications", "/app", "/account"];

export function createLocalFlowdockApp(ctx: SimulatorContext, actions: LocalFlowdockActions): express.Express {
  const app = express();
  app.set("views", path.join(import.meta.dirname, "views"));
  app.set("view engine", "ejs");
  app.set("query parser", "simple");
  app.disable("x-powered-by");

  app.use(pinoHttp({
    logger: ctx.logger,
    serializers: httpLogSerializers,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : "debug"),
  }));
  // The consent form redirects to whatever callback an application registered,
  // and browsers apply form-action to that redirect, so it is left open here.
  app.use(helmet({ contentSecurityPolicy: { directives: { "form-action": null, "img-src": ["'self'", "data:", "https:", "http:"], "upgrade-insecure-requests": null } } }));
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(express.urlencoded({ extended: true, limit: BODY_LIMIT, parameterLimit: 200 }));

  app.get("/healthz", (_req, res) => { res.json({ status: "ok" }); });
  app.get("/readyz", (_req, res) => {
    try {
      actions.checkReady();
      res.json({ status: "ready" });
    } catch {
      res.status(503).json({ status: "unavailable", reason: "storage unreachable" });
    }
  });
  app.use("/assets", express.static(path.join(import.meta.dirname, "public"), { maxAge: "1h" }));

  if (ctx.options.controlApi) app.use("/_simulator", controlRoutes(ctx, actions));

  // REST API and the token endpoint: JSON, Bearer or client credentials, no cookies.
  const pageSession = webSession(ctx.store.db, ctx.options.sessionSecret, ctx.baseUrl().startsWith("https:"));
  app.post("/oauth/token", ctx.faults.middleware("token"));
  // The flow pages' live script streams as the signed-in person (pages/stream-session.ts).
  app.get(["/flows", "/flows/:organization/:flow"], pageSessionForStreams(ctx, pageSession));
  app.use(API_PATHS, ctx.faults.middleware("api"));
  const api = express.Router();
  // The stream host's stand-in, and streaming on the REST paths (before the REST routes of those paths).
  api.use("/stream", streamingRoutes(ctx, { alwaysStream: true }));
  api.use(tokenRoutes(ctx), streamingRoutes(ctx, { alwaysStream: false }), flowsRoutes(ctx), sourcesRoutes(ctx), messagesRoutes(ctx), chatRoutes(ctx), peopleRoutes(ctx), pushRoutes(ctx));
  app.use(api);
  // Also catches bodies that fail to parse before any router runs (the control API included).
  app.use([...API_PATHS, "/messages", "/oauth/token", "/_simulator"], apiErrorHandler((err) => ctx.logger.error({ err }, "API request failed")));
  app.use([...API_PATHS, "/messages"], (_req, res) => { res.status(404).json({ message: "not found" }); });

  // Pages: cookie sessions with CSRF protection.
  app.use(pageSession);
  // What a browser's forms can send, as on the app's pages: text in valid Unicode, else a 400.
  app.use(PAGE_PATHS, textInputOnly);
  app.use(loadCurrentUser(ctx.store));
  app.use(signInRoutes(ctx), authorizeRoutes(ctx), flowPagesRoutes(ctx), chatPagesRoutes(ctx), threadActionsRoutes(ctx), developerApplicationsRoutes(ctx), apiTokensRoutes(ctx));

  // An API client (credentials, or asking for JSON rather than HTML) gets JSON at any
  // unknown address, as from the hosted API host; a browser gets the page.
  app.use((req, res, next) => {
    if (!isApiRequest(req)) return next();
    res.status(404).json({ message: "not found" });
  });
  app.use((_req, res) => {
    res.status(404).render("error", { title: "Not found", message: "There is nothing at this address." });
  });
  app.use(((err, _req, res, _next) => {
    const status = typeof err?.status === "number" && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) ctx.logger.error({ err }, "page failed");
    const message = err?.code === "EBADCSRFTOKEN"
      ? "This form has expired. Go back, reload the page and try again."
      : status === 413 ? "That was more than this page accepts." : status === 500 ? "Something went wrong in the local Flowdock." : "That request could not be understood.";
    res.status(status).render("error", { title: status === 500 ? "Something went wrong" : "That didn't work", message });
  }) as express.ErrorRequestHandler);

  return app;
}

function isApiRequest(req: express.Request): boolean {
  return Boolean(req.get("authorization")) || req.query.access_token !== undefined || req.query.flow_token !== undefined
    || req.accepts(["html", "json"]) === "json";
}
