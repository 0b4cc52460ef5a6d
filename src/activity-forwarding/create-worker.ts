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
import { SourceStateReconciler, type SourceStateReconcilerOptions } from "../sources/source-state-reconciler.ts";
import { sourceStateRepository } from "../sources/source-state.repository.ts";

export function createDeliveryWorker(config: Config, db: Database, logger: Logger, overrides: Partial<DeliveryWorkerOptions> = {}, sourceStateOverrides: Partial<SourceStateReconcilerOptions> = {}): DeliveryWorker {
  const cipher = createTokenCipher(config.tokenEncryptionKeys);
  const integrations = integrationsRepository(db, cipher);
  const flowdock = new FlowdockClient({ apiUrl: config.flowdock.apiUrl, timeoutMs: config.flowdock.timeoutMs });
  const sourceState = new SourceStateReconciler({
    repo: sourceStateRepository(db, cipher), integrations, flowdock, logger: logger.child({ name: "source-state" }),
    appBaseUrl: config.appBaseUrl, leaseMs: config.delivery.leaseMs, ...sourceStateOverrides,
  });
  return new DeliveryWorker({
    outbox: outboxRepository(db, databaseKind(config.databaseUrl)),
    integrations,
    flowdock,
    sourceState,
    logger: logger.child({ name: "delivery" }),
    concurrency: config.delivery.concurrency,
    leaseMs: config.delivery.leaseMs,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.delivery.maxAttempts },
    ...overrides,
  });
}
