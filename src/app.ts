// The app factory: everything the web app does, with no `listen`, so tests drive
// it with supertest and main.ts decides where it runs.
import path from "node:path";
import express from "express";
import { pinoHttp } from "pino-http";
import type { Config } from "./config.ts";
import type { Database } from "./db/prisma-client.ts";
import { httpLogSerializers, type Logger } from "./observability/logger.ts";
import { securityHeaders } from "./web/security-headers.ts";
import { healthRoutes } from "./web/health.routes.ts";
import { errorHandler, notFoundHandler } from "./web/error-handlers.ts";
import { createSessionMiddleware } from "./web/session.ts";
import { textInputOnly } from "./web/form.ts";
import { createLimiter } from "./web/rate-limits.ts";
import { pageLocals } from "./web/page-locals.ts";
import { createTokenCipher } from "./crypto/token-cipher.ts";
import { usersRepository } from "./accounts/users.repository.ts";
import { createAuthentication } from "./accounts/authentication.ts";
import { accountsRoutes } from "./accounts/accounts.routes.ts";
import { projectsRepository } from "./tracker/projects.repository.ts";
import { projectsRoutes } from "./tracker/projects.routes.ts";
import { integrationsRepository } from "./sources/integrations.repository.ts";
import { sourcesRoutes } from "./sources/sources.routes.ts";
import { auditRepository } from "./sources/audit.repository.ts";
import { FlowdockClient } from "./flowdock-client/flowdock-client.ts";
import { useFlowdockStrategy } from "./setup/flowdock-oauth.ts";
import { setupRoutes } from "./setup/setup.routes.ts";
import { databaseKind } from "./db/database-url.ts";
import { databaseReadiness } from "./db/database-readiness.ts";
import { createMetrics, metricsHandler, type Metrics } from "./observability/metrics.ts";
import { operationsRepository } from "./observability/operations.repository.ts";
import { requestId } from "./observability/request-id.ts";
import type { ActivityRecorder } from "./activity-forwarding/activity.ts";
import { outboxRepository } from "./activity-forwarding/outbox.repository.ts";
import { issuesRepository } from "./tracker/issues.repository.ts";
import { issuesService } from "./tracker/issues.service.ts";
import { issuesRoutes } from "./tracker/issues.routes.ts";
import { avatarsRoutes } from "./accounts/avatars.routes.ts";
import { configurationRoutes } from "./configuration/configuration.routes.ts";
import { ISSUE_ACTIVITY_KINDS } from "./tracker/issue-activities.ts";
import { flashLocals } from "./web/flash.ts";
import { setupContextLocals } from "./setup/setup-context.ts";
import { membershipsRepository } from "./tracker/memberships.repository.ts";
import { membersService } from "./tracker/members.service.ts";
import { membersRoutes } from "./tracker/members.routes.ts";
import { projectSettingsService } from "./tracker/project-settings.service.ts";
import { projectSettingsRoutes } from "./tracker/project-settings.routes.ts";
import { accountService } from "./accounts/account.service.ts";
import { accountSettingsRoutes } from "./accounts/account-settings.routes.ts";
import { adminRoutes } from "./accounts/admin.routes.ts";
import { renderMarkdown } from "./tracker/markdown.ts";
import { threadActionRoutes, threadActionUrl } from "./thread-actions/thread-actions.routes.ts";
import { threadActionsService } from "./thread-actions/thread-actions.service.ts";
import { flowdockLinksRepository } from "./thread-actions/flowdock-links.repository.ts";
import { linkClaims } from "./thread-actions/link-claim.ts";
import { useFlowdockLinkStrategy } from "./thread-actions/flowdock-link-oauth.ts";
import { accountLinkRoutes, linkContextLocals } from "./thread-actions/account-link.routes.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  /** Where domain activities go; the transactional outbox unless a bench swaps it. */
  recorder?: ActivityRecorder;
  /** Called after a commit that queued activities, e.g. to wake an in-process worker. */
  onActivityRecorded?: () => void;
  /** Called after a change that can suspend or resume an integration, or clear its error: the sources' state is checked at once. */
  onSourceStateChanged?: () => void;
  /** Shared with an in-process delivery worker (main.ts); one of its own otherwise. */
  metrics?: Metrics;
}

const ROOT = path.resolve(import.meta.dirname, "..");
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

export function createApp({ config, db, logger, recorder, onActivityRecorded, onSourceStateChanged, metrics: sharedMetrics }: AppDeps): express.Express {
  const app = express();
  app.set("views", path.join(ROOT, "views"));
  app.set("view engine", "ejs");
  // Compiled templates are kept, except in development where edits should show at once.
  app.set("view cache", config.env !== "development");
  app.set("query parser", "simple");
  const secure = config.appBaseUrl.startsWith("https:");
  app.set("trust proxy", secure ? 1 : false);
  app.disable("x-powered-by");
  app.locals.renderMarkdown = renderMarkdown;

  const cipher = createTokenCipher(config.tokenEncryptionKeys);
  const users = usersRepository(db);
  const projects = projectsRepository(db);
  const memberships = membershipsRepository(db);
  const integrations = integrationsRepository(db, cipher);
  const outbox = outboxRepository(db, databaseKind(config.databaseUrl));
  const issues = issuesRepository(db);
  const service = issuesService({
    db, issues, projects, recorder: recorder ?? outbox.recorder, onRecorded: onActivityRecorded,
    links: {
      issueUrl: (issue) => `${config.appBaseUrl}/projects/${issue.projectId}/issues/${issue.number}`,
      avatarUrl: (person) => `${config.appBaseUrl}/avatars/${person.id}.svg`,
      actionUrl: (issue, action) => threadActionUrl(config.appBaseUrl, issue.id, action),
    },
  });
  const flowdock = new FlowdockClient({ apiUrl: config.flowdock.apiUrl, timeoutMs: config.flowdock.timeoutMs });
  const auth = createAuthentication(users);
  const oauthSettings = {
    oauthUrl: config.flowdock.oauthUrl,
    clientId: config.flowdock.clientId,
    clientSecret: config.flowdock.clientSecret,
    callbackUrl: `${config.appBaseUrl}/auth/flowdock/callback`,
    timeoutMs: config.flowdock.timeoutMs,
  };
  useFlowdockStrategy(auth, oauthSettings);
  useFlowdockLinkStrategy(auth, oauthSettings);
  const flowdockLinks = flowdockLinksRepository(db);
  const claims = linkClaims(config.sessionSecret);

  const metrics = sharedMetrics ?? createMetrics(operationsRepository(db, databaseKind(config.databaseUrl)), { defaultMetrics: false });
  app.use(metrics.httpMiddleware);
  app.use(pinoHttp({
    logger,
    genReqId: requestId,
    // On every line the request's logger writes, not only inside `req`.
    customProps: (req) => ({ reqId: req.id }),
    serializers: httpLogSerializers,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
    // Probes and scrapes come every few seconds; a line each would bury the rest.
    autoLogging: { ignore: (req) => QUIET_PATHS.has(req.url ?? "") },
  }));
  app.use(securityHeaders({ formTargets: [new URL(config.flowdock.oauthUrl).origin] }));
  app.use("/assets", express.static(path.join(ROOT, "public"), { maxAge: "1h" }));
  // Browsers that ignore the pages' icon link ask for this; answered before the
  // session is loaded, as the other assets are.
  app.get("/favicon.ico", (_req, res) => res.redirect(301, "/assets/icon.svg"));
  app.use(healthRoutes(databaseReadiness(db, config.databaseUrl), logger));
  app.get("/metrics", metricsHandler(metrics.registry, config.metricsToken));
  // Before the body parsers and sessions: it needs the raw body and is authenticated by its token.
  app.use(threadActionRoutes({
    actions: threadActionsService({
      links: flowdockLinks, claims, issues: service, clientSecret: config.flowdock.clientSecret,
      linkPageUrl: (claim) => `${config.appBaseUrl}/flowdock/link?claim=${encodeURIComponent(claim)}`,
    }),
  }));
  app.use(express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 100 }));
  app.use(express.json({ limit: "64kb" }));
  app.use(textInputOnly);
  app.use(createSessionMiddleware(db, { secret: config.sessionSecret, secure, ...config.session }));
  app.use(auth.session());
  app.use(pageLocals);
  app.use(flashLocals);
  // Archiving, membership and account changes can suspend or resume integrations.
  // The worker's source-state reconciler would notice at its next poll; a nudge
  // after such a change lets the flow see it at once (in-process worker only).
  const SUSPENSION_CHANGES = /^\/(projects\/[^/]+\/(archive|unarchive|members|leave)|account\/delete|admin\/accounts\/)/;
  app.use((req, res, next) => {
    if (req.method === "POST" && onSourceStateChanged && SUSPENSION_CHANGES.test(req.path)) res.on("finish", () => res.statusCode < 400 && onSourceStateChanged());
    next();
  });

  app.get("/", (req, res) => {
    res.render("home", { title: "Home", flowdockWebUrl: config.simulator.enabled ? `${config.simulator.baseUrl}/app` : null });
  });
  app.use(["/sign-in", "/sign-up"], setupContextLocals(config.flowdock.apiUrl), linkContextLocals);
  const signInPerAccount = createLimiter(db, "sign-in-account", config.limits.signInPerAccount);
  app.use(accountsRoutes({ users, auth, limits: {
    signInPerAccount,
    signInPerClient: createLimiter(db, "sign-in-client", config.limits.signInPerClient),
    signUpPerClient: createLimiter(db, "sign-up-client", config.limits.signUpPerClient),
  } }));
  app.use(avatarsRoutes({ users }));
  app.use(accountSettingsRoutes({ account: accountService({ users, memberships, passwordGuesses: signInPerAccount }), flowdockLinks }));
  app.use(adminRoutes({ users }));
  app.use(projectsRoutes({ projects }));
  app.use(membersRoutes({ projects, members: membersService({ projects, memberships, users }) }));
  app.use(projectSettingsRoutes({ projects, settings: projectSettingsService({ projects }) }));
  app.use(issuesRoutes({ issues, projects, service }));
  app.use(sourcesRoutes({ projects, integrations, outbox, audit: auditRepository(db), activityKinds: ISSUE_ACTIVITY_KINDS, onRetry: () => { onActivityRecorded?.(); onSourceStateChanged?.(); } }));
  app.use(accountLinkRoutes({ auth, claims, flowdock, links: flowdockLinks }));
  app.use(setupRoutes({
    auth, flowdock, projects, integrations, cipher, logger,
    flowdockApiUrl: config.flowdock.apiUrl,
    setupLimit: createLimiter(db, "setup-user", config.limits.setupPerUser),
    projectUrl: (projectId) => `${config.appBaseUrl}/projects/${projectId}`,
    appBaseUrl: config.appBaseUrl,
  }));

  app.use(configurationRoutes({ auth, integrations, projects, flowdock, cipher, activityKinds: ISSUE_ACTIVITY_KINDS, logger, onChanged: onSourceStateChanged }));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
