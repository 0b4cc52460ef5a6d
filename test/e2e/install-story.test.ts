// The whole story in a real browser (Debian's chromium through playwright-core):
// from a flow's Inbox Settings to the result page, Configure leading to the
// integration's settings, then an issue arriving in the flow's team inbox. CI installs chromium (.ci/run); elsewhere the test is
// skipped with a loud reason when there is no chromium.
import os from "node:os";
import path from "node:path";
import { hasChromium, reportFailures, startBrowserStack, type BrowserStack } from "../support/browser-stack.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";


describe.skipIf(!hasChromium)("installing the integration in a browser", () => {
  let stack: BrowserStack;
  let fd: LocalFlowdock;
  let app: TestApp;
  let appUrl: string;

  beforeAll(async () => {
    stack = await startBrowserStack();
    ({ fd, app, appUrl } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });
  reportFailures(() => stack);

  it("when alice adds Tracker from Inbox Settings, she ends on the result page, the source is listed, and issues arrive as threads", async () => {
    const page = await stack.newPage();
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
