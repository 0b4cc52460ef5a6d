// The app under test: a fresh, migrated SQLite database in a temp folder, its
// config pointed at a local Flowdock started on a free port, and a log that
// tests can read.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type express from "express";
import { loadConfig, type Config } from "../../src/config.ts";
import { createApp } from "../../src/app.ts";
import { createDatabase, type Database } from "../../src/db/prisma-client.ts";
import { migrateDatabase } from "../../src/db/migrator.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { seedDemoData } from "../../src/demo-seed.ts";
import { createMetrics, type Metrics } from "../../src/observability/metrics.ts";
import { operationsRepository } from "../../src/observability/operations.repository.ts";
import { databaseKind } from "../../src/db/database-url.ts";
import { APP_BASE_URL, TEST_CLIENT } from "./local-flowdock.ts";

export interface TestApp {
  app: express.Express;
  db: Database;
  config: Config;
  dbFile: string;
  /** The app's metrics registry; give `metrics.observeDelivery` to a test's worker as onOutcome. */
  metrics: Metrics;
  /** Every log line the app wrote, as text. */
  logText(): string;
  close(): Promise<void>;
}

export async function startTestApp(flowdockUrl: string, env: Record<string, string> = {}): Promise<TestApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tracker-test-"));
  const dbFile = path.join(dir, "app.db");
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: `file:${dbFile}`,
    APP_BASE_URL,
    FLOWDOCK_API_URL: flowdockUrl,
    FLOWDOCK_CLIENT_ID: TEST_CLIENT.clientId,
    FLOWDOCK_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    SIMULATOR: "off",
    ...env,
  });
  await migrateDatabase(config.databaseUrl);
  const db = createDatabase(config.databaseUrl);
  await seedDemoData(db);
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const logger = createLogger({ level: "trace", name: "app-test" }, sink);
  const metrics = createMetrics(operationsRepository(db, databaseKind(config.databaseUrl)), { defaultMetrics: false });
  const app = createApp({ config, db, logger, metrics });
  return {
    app, db, config, dbFile, metrics,
    logText: () => lines.join(""),
    close: async () => {
      await db.$disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
