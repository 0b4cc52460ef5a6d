// The whole story in a real browser (Debian's chromium through playwright-core):
// from a flow's Inbox Settings to the result page, Configure leading to the
// integration's settings, then an issue arriving in the flow's team inbox. CI installs chromium (.ci/run); elsewhere the test is
// skipped with a loud reason when there is no chromium.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFlowdock, TEST_CLIENT } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`\n*** Browser test SKIPPED: no chromium at ${CHROMIUM}. Install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH. ***\n`);

describe.skipIf(!hasChromium)("installing the integration in a browser", () => {
  let server: http.Server;
  let fd: LocalFlowdock;
  let app: TestApp;
  let worker: DeliveryWorker;
  let browser: Browser;
  let appUrl: string;

  beforeAll(async () => {
    // The app's address must be known before Flowdock registers its callback.
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fd = await startTestFlowdock({ integration: { name: "Tracker", clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, appBaseUrl: appUrl } });
    app = await startTestApp(fd.url, { APP_BASE_URL: appUrl });
    server.on("request", app.app);
    worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), { pollMs: 20 });
    worker.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await new Promise((resolve) => server?.close(resolve));
    await app?.close();
    await fd?.close();
  });

  it("when alice adds Tracker from Inbox Settings, she ends on the result page, the source is listed, and issues arrive as threads", async () => {
    const page = await browser.newPage();
    await page.goto(`${fd.url}/login`);
    await page.getByLabel("Email").fill("alice@example.com");
    await page.getByLabel("Password").fill("flowdock");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.goto(`${fd.url}/app/acme/main/settings`);
    await page.getByRole("link", { name: "Add Tracker" }).click();

    // Our app: sign in first, then off to Flowdock's consent page.
    await page.waitForURL(`${appUrl}/sign-in`);
    await page.getByLabel("Email").fill("demo@example.com");
    await page.getByLabel("Password").fill("demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Authorize Tracker?" }).waitFor();
    await page.getByRole("button", { name: "Authorize" }).click();

    await page.getByRole("heading", { name: "Connect a project to Acme Inc / Main" }).waitFor();
    await page.getByLabel("Website").check();
    await page.getByRole("button", { name: "Connect" }).click();
    await expect(page.getByRole("heading", { name: "Website now posts to Acme Inc / Main" }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(os.tmpdir(), "tracker-result-page.png") });

    await page.getByRole("link", { name: "Open Main in Flowdock" }).click();
    await page.goto(`${fd.url}/app/acme/main/settings`);
    expect(await page.getByText("Tracker · Website").count()).toBe(1);

    // Configure, from the same Inbox Settings, opens the integration's settings in the app.
    await page.getByRole("link", { name: "Configure" }).click();
    await page.getByRole("heading", { name: "Configure “Website”" }).waitFor();
    expect(await page.getByRole("checkbox", { name: "Comments" }).isChecked()).toBe(true);

    // An issue opened in the app shows up in the flow's team inbox.
    const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
    await page.goto(`${appUrl}/projects/${project.id}/issues/new`);
    await page.getByLabel("Title").fill("Footer link is broken");
    await page.getByRole("button", { name: "Open issue" }).click();
    await page.getByRole("heading", { name: /#1 Footer link is broken/ }).waitFor();

    await expect.poll(async () => {
      await page.goto(`${fd.url}/app/acme/main`);
      return page.getByText("Footer link is broken").count();
    }, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(os.tmpdir(), "tracker-team-inbox.png"), fullPage: true });
  });
});
