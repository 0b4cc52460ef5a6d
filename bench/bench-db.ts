// Databases for the delivery benchmarks: a fresh SQLite file or PostgreSQL
// database, migrated and seeded, with `integrations` integrations of the demo
// project pointed at `flowdockUrl` (any flow token works against the null
// target), and a way to fill the outbox in bulk without going through requests.
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import pg from "pg";
import { loadConfig, type Config } from "../src/config.ts";
import { createApp, type AppDeps } from "../src/app.ts";
import { createDatabase, type Database } from "../src/db/prisma-client.ts";
import { configurationUrl } from "../src/sources/source-state.ts";
import type { PagesFirst } from "../src/activity-forwarding/pages-first.ts";
import { migrateDatabase } from "../src/db/migrator.ts";
import { createLogger } from "../src/observability/logger.ts";
import { seedDemoData } from "../src/demo-seed.ts";
import { createTokenCipher } from "../src/crypto/token-cipher.ts";
import type { DatabaseKind } from "../src/db/database-url.ts";
import { CLIENT } from "./harness.ts";

export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface BenchDb {
  kind: DatabaseKind;
  db: Database;
  config: Config;
  projectId: string;
  integrationIds: string[];
  close(): Promise<void>;
}

export async function postgresUp(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function openBenchDb(kind: DatabaseKind, dir: string, name: string, flowdockUrl: string, integrations = 1): Promise<BenchDb> {
  let databaseUrl = `file:${path.join(dir, `${name}.db`)}`;
  let drop = async () => {};
  if (kind === "postgresql") {
    const dbName = `bench_${name}_${process.pid}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
    await admin(`DROP DATABASE IF EXISTS "${dbName}"`);
    await admin(`CREATE DATABASE "${dbName}"`);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
    drop = () => admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  }
  const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: databaseUrl, APP_BASE_URL: "http://bench.app", FLOWDOCK_API_URL: flowdockUrl, FLOWDOCK_CLIENT_ID: CLIENT.id, FLOWDOCK_CLIENT_SECRET: CLIENT.secret, SIMULATOR: "off" });
  await migrateDatabase(config.databaseUrl);
  const db = createDatabase(config.databaseUrl);
  await seedDemoData(db);
  const project = await db.project.findFirstOrThrow({ where: { name: "Website" } });
  const user = await db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
  const token = createTokenCipher(config.tokenEncryptionKeys).encrypt("bench-flow-token");
  await db.integration.createMany({
    data: Array.from({ length: integrations }, (_, i) => ({
      projectId: project.id, sourceId: i + 1, sourceName: `Bench ${i}`, sourceUrl: `${flowdockUrl}/sources/${i + 1}`, flowId: `flow-${i}`,
      flowUrl: `${flowdockUrl}/flows/acme/f${i}`, flowWebUrl: `${flowdockUrl}/app/acme/f${i}`, organizationName: "Acme Inc", flowName: `Flow ${i}`,
      createdByUserId: user.id, encryptedFlowToken: token,
      // As setup leaves them: the source already shows its configuration address.
      reportedConfigurationUrl: configurationUrl(config.appBaseUrl, { sourceId: i + 1, flowId: `flow-${i}` }),
    })),
  });
  const integrationIds = (await db.integration.findMany({ select: { id: true } })).map((i) => i.id);
  return {
    kind, db, config, projectId: project.id, integrationIds,
    close: async () => {
      await db.$disconnect();
      await drop();
    },
  };
}

/** The app over HTTP on a bench database, as `npm start` serves it. */
export async function serveApp(bench: BenchDb, deps: Partial<Pick<AppDeps, "onActivityRecorded">> = {}, pagesFirst?: PagesFirst): Promise<{ url: string; projectId: string; close(): Promise<void> }> {
  const app = createApp({ config: bench.config, db: bench.db, logger: createLogger({ level: "silent", name: "bench-app" }), ...deps });
  const server = http.createServer(app);
  pagesFirst?.watch(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    projectId: bench.projectId,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A message as the tracker records it for a comment (about 700 bytes of JSON). */
export function benchPayload(threadKey: string): string {
  return JSON.stringify({
    event: "discussion", author: { name: "Dana Demo", email: "demo@example.com", avatar: "http://bench.app/avatars/demo.svg" },
    body: "<p>Benchmark comment: the footer link on /about still returns 404 after the last deploy.</p>", external_thread_id: threadKey,
    thread: {
      title: "#12 Broken footer link", body: "<p>The footer link 404s.</p>", external_url: "http://bench.app/projects/p/issues/12",
      status: { color: "green", value: "open" },
      fields: [{ label: "Assignee", value: "Dana Demo" }, { label: "Priority", value: "high" }, { label: "Labels", value: "bug, website" }],
    },
    tags: ["bug", "website"],
  });
}

/** Records events (not yet fanned out), one per thread key given, in that order, in one transaction. */
export async function recordEvents(bench: BenchDb, threadKeys: string[]): Promise<void> {
  const pg_ = bench.kind === "postgresql";
  const payloads = new Map<string, string>();
  const CHUNK = 500;
  await bench.db.$transaction(async (tx) => {
    for (let i = 0; i < threadKeys.length; i += CHUNK) {
      const chunk = threadKeys.slice(i, i + CHUNK);
      const params: string[] = [];
      const values = chunk.map((key) => {
        let payload = payloads.get(key);
        if (!payload) payloads.set(key, (payload = benchPayload(key)));
        params.push(bench.projectId, key, payload);
        const n = params.length;
        return pg_ ? `($${n - 2}, $${n - 1}, 'issue.commented', $${n})` : "(?, ?, 'issue.commented', ?)";
      });
      await tx.$executeRawUnsafe(`INSERT INTO "OutboxEvent" ("projectId", "threadKey", "kind", "payload") VALUES ${values.join(", ")}`, ...params);
    }
  }, { timeout: 600_000 });
}

/** `count` delivered messages (and their events) spread over `threads` threads of the first integration. */
export async function addHistory(bench: BenchDb, count: number, threads: number): Promise<void> {
  if (count === 0) return;
  const pg_ = bench.kind === "postgresql";
  const series = pg_ ? `generate_series(1, ${count}) AS s(k)` : `(WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ${count}) SELECT k FROM n) AS s`;
  const p = (n: number) => (pg_ ? `$${n}` : "?");
  const payload = benchPayload("history");
  await bench.db.$executeRawUnsafe(
    `INSERT INTO "OutboxEvent" ("projectId", "threadKey", "kind", "payload", "fannedOut") SELECT ${p(1)}, 't' || (s.k % ${threads}), 'issue.commented', ${p(2)}, true FROM ${series}`,
    bench.projectId, payload,
  );
  await bench.db.$executeRawUnsafe(
    `INSERT INTO "OutboxMessage" ("eventId", "integrationId", "threadKey", "uuid", "status", "sentAt") SELECT "id", ${p(1)}, "threadKey", 'history-' || "id", 'sent', "createdAt" FROM "OutboxEvent"`,
    bench.integrationIds[0]!,
  );
}

/** Forgets every message and event after the history (the id they started at). */
export async function resetTo(bench: BenchDb, firstEventId: number): Promise<void> {
  await bench.db.$executeRawUnsafe(`DELETE FROM "OutboxMessage" WHERE "eventId" >= ${firstEventId}`);
  await bench.db.$executeRawUnsafe(`DELETE FROM "OutboxEvent" WHERE "id" >= ${firstEventId}`);
}

export async function nextEventId(bench: BenchDb): Promise<number> {
  const [row] = await bench.db.$queryRawUnsafe<{ id: number | bigint | null }[]>(`SELECT max("id") AS "id" FROM "OutboxEvent"`);
  return Number(row?.id ?? 0) + 1;
}
