// `npm run worker`: the delivery worker alone, beside one or more app instances,
// with a small HTTP server (WORKER_PORT) for health, readiness and metrics.
import http from "node:http";
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger, wantsPrettyLogs } from "./observability/logger.ts";
import { createDatabase } from "./db/prisma-client.ts";
import { databaseKind } from "./db/database-url.ts";
import { migrateDatabase } from "./db/migrator.ts";
import { createDeliveryWorker } from "./activity-forwarding/create-worker.ts";
import { createMetrics } from "./observability/metrics.ts";
import { operationsRepository } from "./observability/operations.repository.ts";
import { createWorkerServer } from "./observability/worker-server.ts";
import { onShutdown } from "./shutdown.ts";
import { createTokenCipher } from "./crypto/token-cipher.ts";
import { checkTokenKeys, TokenKeysMismatchError } from "./sources/check-token-keys.ts";

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "worker", pretty: wantsPrettyLogs(config.env) });
  await migrateDatabase(config.databaseUrl);
  const db = createDatabase(config.databaseUrl);
  await checkTokenKeys(db, createTokenCipher(config.tokenEncryptionKeys), config.tokenEncryptionKeys.map((k) => k.id));
  const operations = operationsRepository(db, databaseKind(config.databaseUrl));
  const metrics = createMetrics(operations);
  const worker = createDeliveryWorker(config, db, logger, { onOutcome: (o) => metrics.observeDelivery(o) });
  worker.start();
  const server = http.createServer(createWorkerServer({ operations, metrics, metricsToken: config.metricsToken, maxDueAgeSeconds: config.worker.readyMaxDueAgeSeconds, logger }));
  await new Promise<void>((resolve) => server.listen(config.worker.port, config.host, resolve));
  logger.info({ worker: worker.id, flowdock: config.flowdock.apiUrl, port: config.worker.port }, "delivery worker running");
  onShutdown(logger, [
    () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
    () => worker.stop(),
    () => db.$disconnect(),
  ]);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof TokenKeysMismatchError ? err.message : err);
  process.exit(1);
});
