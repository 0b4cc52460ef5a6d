// `npm run worker`: the delivery worker alone, beside one or more app instances.
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger, wantsPrettyLogs } from "./observability/logger.ts";
import { createDatabase } from "./db/prisma-client.ts";
import { migrateDatabase } from "./db/migrator.ts";
import { createDeliveryWorker } from "./activity-forwarding/create-worker.ts";
import { onShutdown } from "./shutdown.ts";
import { createTokenCipher } from "./crypto/token-cipher.ts";
import { checkTokenKeys, TokenKeysMismatchError } from "./sources/check-token-keys.ts";

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "worker", pretty: wantsPrettyLogs(config.env) });
  await migrateDatabase(config.databaseUrl);
  const db = createDatabase(config.databaseUrl);
  await checkTokenKeys(db, createTokenCipher(config.tokenEncryptionKeys), config.tokenEncryptionKeys.map((k) => k.id));
  const worker = createDeliveryWorker(config, db, logger);
  worker.start();
  logger.info({ worker: worker.id, flowdock: config.flowdock.apiUrl }, "delivery worker running");
  onShutdown(logger, [() => worker.stop(), () => db.$disconnect()]);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof TokenKeysMismatchError ? err.message : err);
  process.exit(1);
});
