// PostgreSQL for tests: each test gets a database of its own on the server at
// TEST_POSTGRES_URL (default: the local one) and drops it afterwards. Where no
// server answers, the suites that need one are skipped, saying so loudly.
import crypto from "node:crypto";
import pg from "pg";

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (err) {
    console.warn(`\n*** PostgreSQL tests SKIPPED: no server answers at ${POSTGRES_ADMIN_URL} (${(err as Error).message}). Set TEST_POSTGRES_URL to run them. ***\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `fn` with a client of the server's administrator, closed afterwards. */
export async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database; answers its URL and a function that drops it. */
export async function createScratchDatabase(prefix = "tracker_test"): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
