// Started with a valid key that is not the one the stored flow tokens were
// sealed with, the app and a worker refuse to start and name the key ids found
// in the data, instead of booting "ready" and failing every delivery.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrator.ts";
import { createDatabase, type Database } from "../../src/db/prisma-client.ts";
import { seedDemoData } from "../../src/demo-seed.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { checkTokenKeys, TokenKeysMismatchError } from "../../src/sources/check-token-keys.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const key = (id: string) => ({ id, key: crypto.randomBytes(32) });
const asEnv = (...keys: { id: string; key: Buffer }[]) => keys.map((k) => `${k.id}:${k.key.toString("base64")}`).join(",");

let dir: string;
let databaseUrl: string;
let db: Database;
const old = key("old");

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "token-keys-"));
  databaseUrl = `file:${path.join(dir, "app.db")}`;
  await migrateDatabase(databaseUrl);
  db = createDatabase(databaseUrl);
  await seedDemoData(db);
  const project = await db.project.findFirstOrThrow();
  const user = await db.user.findFirstOrThrow();
  await integrationsRepository(db, createTokenCipher([old])).create({
    projectId: project.id, sourceId: 7, sourceName: "S", sourceUrl: "http://f/flows/a/b/sources/7", flowId: "f", flowUrl: "http://f/flows/a/b",
    flowWebUrl: "http://f/app/a/b", organizationName: "A", flowName: "B", createdByUserId: user.id, flowToken: "the-flow-token",
  });
});
afterEach(async () => {
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs an entry point until it exits or prints `readyText`; answers how it ended and what it printed. */
function run(entry: string, env: Record<string, string>, readyText: string): Promise<{ code: number | null; ready: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "info", SIMULATOR: "off", DELIVERY_WORKER: "off", PORT: "0", HOST: "127.0.0.1", DATABASE_URL: databaseUrl, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
      if (stdout.includes(readyText)) child.kill("SIGTERM");
    });
    child.stderr.on("data", (chunk) => { stderr += String(chunk); });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, ready: stdout.includes(readyText), stderr });
    });
  });
}

describe("checking the token keys at boot", () => {
  it("when the configured key is not the one the tokens were sealed with, the app refuses to start and names the key ids", async () => {
    const result = await run("src/main.ts", { TOKEN_ENCRYPTION_KEYS: asEnv(key("new")) }, "app ready");
    expect(result.ready).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('sealed with key "old"');
    expect(result.stderr).toContain('configured keys are "new"');
  }, 40_000);

  it("when a worker starts with a key of the right id but the wrong bytes, it refuses too", async () => {
    const result = await run("src/worker.ts", { TOKEN_ENCRYPTION_KEYS: asEnv({ id: "old", key: crypto.randomBytes(32) }) }, "delivery worker running");
    expect(result.ready).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"old" does not open them');
  }, 40_000);

  it("when the old key is still configured after a new one, the app starts", async () => {
    const result = await run("src/main.ts", { TOKEN_ENCRYPTION_KEYS: asEnv(key("new"), old) }, "app ready");
    expect(result.ready).toBe(true);
  }, 40_000);

  it("when no token is stored yet, any key will do", async () => {
    await db.integration.deleteMany();
    await expect(checkTokenKeys(db, createTokenCipher([key("k")]), ["k"])).resolves.toEqual({ keyIdsInData: [] });
    await expect(checkTokenKeys(db, createTokenCipher([key("k")]), ["k"])).resolves.toBeDefined();
  });

  it("when tokens under two keys are stored and one key is missing, the error names both ids found and the one missing", async () => {
    const project = await db.project.findFirstOrThrow();
    const user = await db.user.findFirstOrThrow();
    const other = key("other");
    await integrationsRepository(db, createTokenCipher([other])).create({
      projectId: project.id, sourceId: 8, sourceName: "S", sourceUrl: "http://f/flows/a/b/sources/8", flowId: "f", flowUrl: "http://f/flows/a/b",
      flowWebUrl: "http://f/app/a/b", organizationName: "A", flowName: "B", createdByUserId: user.id, flowToken: "t2",
    });
    const err = await checkTokenKeys(db, createTokenCipher([other]), ["other"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenKeysMismatchError);
    expect((err as TokenKeysMismatchError).keyIdsInData).toEqual(["old", "other"]);
    expect((err as TokenKeysMismatchError).unopened).toEqual(["old"]);
  });
});
