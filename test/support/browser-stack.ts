// What a browser test runs against: the local Flowdock with Tracker registered
// at the app's real address, the app on a port of its own, a delivery worker,
// and Debian's chromium through playwright-core. Browser tests are skipped,
// loudly, where there is no chromium.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
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
  close(): Promise<void>;
}

export async function startBrowserStack(sourceState: Partial<SourceStateReconcilerOptions> = {}): Promise<BrowserStack> {
  // The app's address must be known before Flowdock registers its callback.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fd = await startTestFlowdock({ integration: { name: "Tracker", clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, appBaseUrl: appUrl } });
  const app = await startTestApp(fd.url, { APP_BASE_URL: appUrl });
  server.on("request", app.app);
  const worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), { pollMs: 20 }, sourceState);
  worker.start();
  const browser = await launchChromium();
  return {
    fd, app, appUrl, browser,
    async close() {
      await browser.close();
      await worker.stop();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
      await fd.close();
    },
  };
}
