// `npm start`: migrates the database, starts the local Flowdock (unless
// SIMULATOR=off), the app and the delivery worker, and shuts them all down
// gracefully, in the reverse order.
import http from "node:http";
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger, wantsPrettyLogs } from "./observability/logger.ts";
import { createDatabase } from "./db/prisma-client.ts";
import { migrateDatabase } from "./db/migrator.ts";
import { createApp } from "./app.ts";
import { onShutdown } from "./shutdown.ts";
import { seedDemoData, DEMO_USER } from "./demo-seed.ts";
import { pruneExpiredSessions } from "./web/session.ts";
import { pruneExpiredLimits } from "./web/rate-limits.ts";
import { createTokenCipher } from "./crypto/token-cipher.ts";
import { checkTokenKeys, TokenKeysMismatchError } from "./sources/check-token-keys.ts";
import { createDeliveryWorker } from "./activity-forwarding/create-worker.ts";
import { PagesFirst } from "./activity-forwarding/pages-first.ts";
import { outboxRepository } from "./activity-forwarding/outbox.repository.ts";
import { databaseKind } from "./db/database-url.ts";
import { createMetrics } from "./observability/metrics.ts";
import { operationsRepository } from "./observability/operations.repository.ts";
import { startLocalFlowdock } from "./local-flowdock/server.ts";
import { localFlowdockOptions } from "./local-flowdock/options.ts";

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "app", pretty: wantsPrettyLogs(config.env) });
  // Closed last-in, first-out.
  const closers: (() => Promise<void>)[] = [];

  if (config.simulator.enabled) {
    const flowdock = await startLocalFlowdock(localFlowdockOptions(config, logger.child({ name: "local-flowdock" })));
    closers.unshift(flowdock.close);
    logger.info({ url: `${flowdock.url}/app` }, "local Flowdock ready: sign in as alice@example.com / flowdock");
  }

  const applied = await migrateDatabase(config.databaseUrl);
  if (applied.length) logger.info({ applied }, "database migrated");
  const db = createDatabase(config.databaseUrl);
  closers.unshift(() => db.$disconnect());
  await checkTokenKeys(db, createTokenCipher(config.tokenEncryptionKeys), config.tokenEncryptionKeys.map((k) => k.id));
  const seeded = await seedDemoData(db);
  if (seeded.length) logger.info({ accounts: seeded }, `demo data added: sign in to the app as ${DEMO_USER.email} / ${DEMO_USER.password} (see the README for the other demo accounts)`);

  // Housekeeping: expired sessions, and delivered messages after a week (the
  // outbox only needs undelivered rows; the week feeds "recent deliveries").
  const outbox = outboxRepository(db, databaseKind(config.databaseUrl));
  const pruning = setInterval(() => {
    pruneExpiredSessions(db).catch((err: unknown) => logger.warn({ err }, "pruning expired sessions failed"));
    pruneExpiredLimits(db).catch((err: unknown) => logger.warn({ err }, "pruning expired rate-limit counters failed"));
    outbox.pruneSent(new Date(Date.now() - 7 * 86_400_000)).catch((err: unknown) => logger.warn({ err }, "pruning delivered messages failed"));
  }, 10 * 60_000);
  pruning.unref();
  closers.unshift(async () => clearInterval(pruning));

  const metrics = createMetrics(operationsRepository(db, databaseKind(config.databaseUrl)));
  const pagesFirst = new PagesFirst();
  const worker = config.delivery.inProcessWorker ? createDeliveryWorker(config, db, logger, { onOutcome: (o) => metrics.observeDelivery(o), pagesFirst }) : undefined;
  if (worker) {
    worker.start();
    closers.unshift(() => worker.stop());
  }

  const server = http.createServer(createApp({ config, db, logger, metrics, onActivityRecorded: () => worker?.nudge(), onSourceStateChanged: () => worker?.nudgeSources() }));
  pagesFirst.watch(server);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  closers.unshift(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  }));
  logger.info({ url: config.appBaseUrl, host: config.host, port: config.port }, `app ready: open ${config.appBaseUrl}`);
  onShutdown(logger, closers);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof TokenKeysMismatchError) {
    console.error(err.message);
  } else {
    console.error("Failed to start:", err);
  }
  process.exit(1);
});
