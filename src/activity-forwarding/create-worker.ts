// A delivery worker wired from config: used by `npm start` (in process) and by
// `npm run worker` (on its own, e.g. several of them on PostgreSQL).
import type { Config } from "../config.ts";
import type { Database } from "../db/prisma-client.ts";
import type { Logger } from "../observability/logger.ts";
import { databaseKind } from "../db/database-url.ts";
import { createTokenCipher } from "../crypto/token-cipher.ts";
import { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { integrationsRepository } from "../sources/integrations.repository.ts";
import { outboxRepository } from "./outbox.repository.ts";
import { DeliveryWorker, type DeliveryWorkerOptions } from "./delivery-worker.ts";
import { DEFAULT_RETRY_POLICY } from "./retry-policy.ts";

export function createDeliveryWorker(config: Config, db: Database, logger: Logger, overrides: Partial<DeliveryWorkerOptions> = {}): DeliveryWorker {
  return new DeliveryWorker({
    outbox: outboxRepository(db, databaseKind(config.databaseUrl)),
    integrations: integrationsRepository(db, createTokenCipher(config.tokenEncryptionKeys)),
    flowdock: new FlowdockClient({ apiUrl: config.flowdock.apiUrl, timeoutMs: config.flowdock.timeoutMs }),
    logger: logger.child({ name: "delivery" }),
    concurrency: config.delivery.concurrency,
    leaseMs: config.delivery.leaseMs,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.delivery.maxAttempts },
    ...overrides,
  });
}
