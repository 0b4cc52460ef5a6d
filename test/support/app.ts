// The app under test: a fresh, migrated database of its own, its config pointed
// at a local Flowdock started on a free port, and a log that tests can read.
//
// The database is SQLite in a temp folder, or, in the suite's PostgreSQL pass
// (TEST_DATABASE=postgresql, as .ci/run does when a server answers), a fresh
// PostgreSQL database created for this app and dropped when it closes.
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
import { createScratchDatabase } from "./postgres.ts";

/** Which database this run of the suite gives every test app. */
export const TEST_DATABASE: "sqlite" | "postgresql" = process.env.TEST_DATABASE === "postgresql" ? "postgresql" : "sqlite";
/**
 * For `describe.skipIf`/`it.skipIf` on tests that are about SQLite itself (its
 * file, filesystem or locking): they run in the SQLite pass only.
 */
export const notOnSqlite = TEST_DATABASE !== "sqlite";

export interface TestApp {
  app: express.Express;
  db: Database;
  config: Config;
  /** The SQLite file, or null on PostgreSQL. */
  dbFile: string | null;
  /** The app's metrics registry; give `metrics.observeDelivery` to a test's worker as onOutcome. */
  metrics: Metrics;
  /** Every log line the app wrote, as text. */
  logText(): string;
  close(): Promise<void>;
}

export async function startTestApp(flowdockUrl: string, env: Record<string, string> = {}): Promise<TestApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tracker-test-"));
  const scratch = !env.DATABASE_URL && TEST_DATABASE === "postgresql" ? await createScratchDatabase() : undefined;
  const databaseUrl = env.DATABASE_URL ?? scratch?.url ?? `file:${path.join(dir, "app.db")}`;
  const dbFile = databaseKind(databaseUrl) === "sqlite" ? databaseUrl.replace(/^file:/, "") : null;
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl,
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
      await scratch?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
