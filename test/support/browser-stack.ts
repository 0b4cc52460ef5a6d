// What a browser test runs against: the local Flowdock with Tracker registered
// at the app's real address, the app on a port of its own, a delivery worker,
// and Debian's chromium through playwright-core. Browser tests are skipped,
// loudly, where there is no chromium.
import fs from "node:fs";
import http from "node:http";
import { Writable } from "node:stream";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterEach } from "vitest";
import { startTestFlowdock, TEST_CLIENT } from "./local-flowdock.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import type { SourceStateReconcilerOptions } from "../../src/sources/source-state-reconciler.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`\n*** Browser test SKIPPED: no chromium at ${CHROMIUM}. Install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH. ***\n`);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface BrowserStack {
  fd: LocalFlowdock;
  app: TestApp;
  appUrl: string;
  browser: Browser;
  newPage(): Promise<Page>;
  /** What every open page shows, the app's requests, and what the app, its worker and Flowdock logged at warn or worse. */
  diagnose(): Promise<string>;
  close(): Promise<void>;
}

// A step in a browser story that waits longer than this is stuck: its own error
// (naming the locator or address) beats the test's bare "timed out".
const STEP_TIMEOUT_MS = 10_000;

/** A sink for a logger whose lines at warn or worse are kept for a failure's report. */
function warnings(): { sink: Writable; text(): string } {
  const lines: string[] = [];
  return {
    sink: new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }),
    text: () => lines.join(""),
  };
}

interface LogEntry {
  level: number;
  time: number;
  req?: { method: string; url: string };
  res?: { statusCode: number; location?: string };
  responseTime?: number;
}

/** A pino log's lines, each with its parsed entry (lines that aren't JSON are left out). */
function logEntries(text: string): { line: string; entry: LogEntry }[] {
  return text.split("\n").flatMap((line) => {
    try {
      return [{ line, entry: JSON.parse(line) as LogEntry }];
    } catch {
      return [];
    }
  });
}

function warnLines(label: string, text: string): string {
  const kept = logEntries(text).filter(({ entry }) => entry.level >= 40).map(({ line }) => line);
  return `--- ${label}: ${kept.length} line(s) at warn or worse\n${kept.join("\n")}`;
}

/** The app's requests, one line each (ids and secrets are already redacted from the log). */
function requestLines(text: string): string {
  const lines = logEntries(text).flatMap(({ entry: { time, req, res, responseTime } }) => (req && res
    ? [`${new Date(time).toISOString().slice(11, 23)} ${req.method} ${req.url} → ${res.statusCode}${res.location ? ` ${res.location}` : ""} (${responseTime} ms)`]
    : []));
  return `--- the app's requests (finish time, last 60)\n${lines.slice(-60).join("\n")}`;
}

export async function startBrowserStack(sourceState: Partial<SourceStateReconcilerOptions> = {}): Promise<BrowserStack> {
  // The app's address must be known before Flowdock registers its callback.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fdLog = warnings();
  const workerLog = warnings();
  const fd = await startTestFlowdock({
    integration: { name: "Tracker", clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, appBaseUrl: appUrl },
    logger: createLogger({ level: "warn", name: "flowdock" }, fdLog.sink),
  });
  const app = await startTestApp(fd.url, { APP_BASE_URL: appUrl });
  server.on("request", app.app);
  const worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "warn", name: "worker" }, workerLog.sink), { pollMs: 20 }, sourceState);
  worker.start();
  const browser = await launchChromium();
  return {
    fd, app, appUrl, browser,
    // A page of its own (own cookies), whose steps give up after STEP_TIMEOUT_MS.
    async newPage() {
      const context = await browser.newContext();
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      return context.newPage();
    },
    async diagnose() {
      const pages = await Promise.all(browser.contexts().flatMap((context) => context.pages()).map(async (page) =>
        `--- page ${page.url()}\n${(await page.locator("body").innerText({ timeout: 1000 }).catch(() => "(no text)")).slice(0, 3000)}`));
      return [...pages, requestLines(app.logText()), warnLines("app", app.logText()), warnLines("worker", workerLog.text()), warnLines("local Flowdock", fdLog.text())].join("\n");
    },
    async close() {
      await browser.close();
      await worker.stop();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
      await fd.close();
    },
  };
}

/**
 * When a test of the file fails, prints what the browser showed and what was
 * logged, so a failure seen only in CI says where it stopped and why.
 */
export function reportFailures(stack: () => BrowserStack | undefined): void {
  afterEach(async (context) => {
    const current = stack();
    if (context.task.result?.state !== "fail" || !current) return;
    console.error(`\n=== ${context.task.name}: what the browser showed and what was logged ===\n${await current.diagnose()}\n=== end ===\n`);
  });
}
