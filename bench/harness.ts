// What the benchmarks run against: the local Flowdock in its own process (so it
// doesn't share a core's event loop with the app being measured), and app
// instances on temp SQLite databases, each with one integration in acme/main.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { loadConfig, type Config } from "../src/config.ts";
import { createApp, type AppDeps } from "../src/app.ts";
import { createDatabase, type Database } from "../src/db/prisma-client.ts";
import type { PagesFirst } from "../src/activity-forwarding/pages-first.ts";
import { migrateDatabase } from "../src/db/migrator.ts";
import { createLogger } from "../src/observability/logger.ts";
import { seedDemoData } from "../src/demo-seed.ts";
import { createTokenCipher } from "../src/crypto/token-cipher.ts";
import { integrationsRepository } from "../src/sources/integrations.repository.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
export const CLIENT = { id: "bench-client", secret: "bench-client-secret-0123456789" };

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Flowdock {
  url: string;
  /** Its process id (the streaming section reads its memory). */
  pid: number;
  call(pathname: string, init?: { method?: string; token?: string; body?: unknown }): Promise<{ status: number; body: unknown }>;
  faults(target: string, conditions: object): Promise<void>;
  clearFaults(): Promise<void>;
  userToken(): Promise<string>;
  stop(): Promise<void>;
}

export async function startFlowdockProcess(dir: string): Promise<Flowdock> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/local-flowdock/main.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env, LOG_LEVEL: "warn", SIMULATOR_PORT: String(port), SIMULATOR_BASE_URL: url, SIMULATOR_DATABASE: path.join(dir, "flowdock.db"),
      SIMULATOR_CONTROL_API: "on", SIMULATOR_RATE_LIMIT: "off", FLOWDOCK_CLIENT_ID: CLIENT.id, FLOWDOCK_CLIENT_SECRET: CLIENT.secret,
      APP_BASE_URL: "http://bench.app",
    },
  });
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) break;
    if (i > 200) throw new Error("the local Flowdock did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const send = (pathname: string, init: { method?: string; token?: string; body?: unknown }) => fetch(`${url}${pathname}`, {
    method: init.method ?? "GET",
    headers: { accept: "application/json", ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const call: Flowdock["call"] = async (pathname, init = {}) => {
    // A kept-alive socket the server closed while we were busy elsewhere fails once; a new one works.
    const res = await send(pathname, init).catch(() => send(pathname, init));
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url,
    pid: child.pid!,
    call,
    faults: async (target, conditions) => { await call(`/_simulator/faults/${target}`, { method: "PUT", body: conditions }); },
    clearFaults: async () => { await call("/_simulator/faults", { method: "DELETE" }); },
    userToken: async () => ((await call("/oauth/token", { method: "POST", body: { grant_type: "password", username: "alice@example.com", password: "flowdock", scope: "flow integration", client_id: CLIENT.id, client_secret: CLIENT.secret } })).body as { access_token: string }).access_token,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/** A new source in acme/main: its URL and flow token. */
export async function newSource(fd: Flowdock, name: string): Promise<{ id: number; url: string; flow_token: string }> {
  const res = await fd.call("/flows/acme/main/sources", { method: "POST", token: await fd.userToken(), body: { name } });
  if (res.status !== 201) throw new Error(`source creation failed: ${res.status}`);
  return res.body as { id: number; url: string; flow_token: string };
}

export interface BenchApp {
  url: string;
  config: Config;
  db: Database;
  projectId: string;
  close(): Promise<void>;
}

/** The app on a fresh database, its demo project connected to acme/main. */
export async function startApp(dir: string, name: string, fd: Flowdock, makeDeps: (ctx: { db: Database; config: Config }) => Partial<Pick<AppDeps, "recorder" | "onActivityRecorded">> = () => ({}), pagesFirst?: PagesFirst): Promise<BenchApp> {
  const file = path.join(dir, `${name}.db`);
  const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: `file:${file}`, APP_BASE_URL: "http://bench.app", FLOWDOCK_API_URL: fd.url, FLOWDOCK_CLIENT_ID: CLIENT.id, FLOWDOCK_CLIENT_SECRET: CLIENT.secret, SIMULATOR: "off" });
  await migrateDatabase(config.databaseUrl);
  const db = createDatabase(config.databaseUrl);
  await seedDemoData(db);
  const project = await db.project.findFirstOrThrow({ where: { name: "Website" } });
  const user = await db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
  const source = await newSource(fd, `${name} source`);
  await integrationsRepository(db, createTokenCipher(config.tokenEncryptionKeys)).create({
    projectId: project.id, sourceId: source.id, sourceName: name, sourceUrl: source.url, flowId: "bench", flowUrl: `${fd.url}/flows/acme/main`,
    flowWebUrl: `${fd.url}/app/acme/main`, organizationName: "Acme Inc", flowName: "Main", createdByUserId: user.id, flowToken: source.flow_token,
  });
  const app = createApp({ config, db, logger: createLogger({ level: "silent", name }), ...makeDeps({ db, config }) });
  const server = http.createServer(app);
  pagesFirst?.watch(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    config, db, projectId: project.id,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.$disconnect();
    },
  };
}

/** A signed-in session for the demo user: its cookie and a CSRF token for forms. */
export async function signIn(appUrl: string): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${appUrl}/sign-in`);
  let cookie = (page.headers.get("set-cookie") ?? "").split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const res = await fetch(`${appUrl}/sign-in`, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams({ _csrf: csrf, email: "demo@example.com", password: "demo" }),
  });
  cookie = (res.headers.get("set-cookie") ?? cookie).split(";")[0]!;
  const projects = await fetch(`${appUrl}/projects`, { headers: { cookie } });
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(await projects.text())![1]! };
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tracker-bench-"));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
