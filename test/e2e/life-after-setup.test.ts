// Walking on from the install story in a real browser (Debian's chromium
// through playwright-core): Configure → change kinds and labels → archive the
// project → the error shows in Inbox Settings → unarchive → it is gone →
// remove the member who connected it → the error shows → another member takes
// it over → cleared → disconnect from the app → the source is gone from Inbox
// Settings. Skipped with a loud reason when there is no chromium.
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { hasChromium, reportFailures, startBrowserStack, type BrowserStack } from "../support/browser-stack.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";


describe.skipIf(!hasChromium)("the integration's life after setup, in a browser", () => {
  let stack: BrowserStack;
  let fd: LocalFlowdock;
  let app: TestApp;
  let appUrl: string;

  beforeAll(async () => {
    stack = await startBrowserStack({ pollMs: 100 });
    ({ fd, app, appUrl } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });
  reportFailures(() => stack);

  async function signInToFlowdock(page: Page) {
    await page.goto(`${fd.url}/login`);
    await page.getByLabel("Email").fill("alice@example.com");
    await page.getByLabel("Password").fill("flowdock");
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  async function signInToApp(page: Page, email: string) {
    await page.waitForURL(`${appUrl}/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("demo");
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  /** Waits for the words; if they never come, the failure says which page was shown instead. */
  async function showingOrSay(page: Page, words: string) {
    try {
      await page.getByText(words).waitFor();
    } catch (err) {
      throw new Error(`"${words}" never appeared; ${page.url()} showed:\n${await page.locator("body").innerText().catch(() => "(nothing)")}`, { cause: err });
    }
  }

  /** The error Inbox Settings shows for the source, or null; read the way a flow member would. */
  async function inboxSettingsError(page: Page): Promise<string | null> {
    await page.goto(`${fd.url}/app/acme/main/settings`);
    const alert = page.getByRole("alert");
    return (await alert.count()) ? alert.first().innerText() : null;
  }

  it("when the flow's admin and the project's people configure, archive, lose and take over the integration, Inbox Settings shows each error and its end, and disconnecting removes the source", async () => {
    const dana = await stack.newPage();
    // The install story: alice adds Tracker from Inbox Settings; Dana connects Website.
    await signInToFlowdock(dana);
    await dana.goto(`${fd.url}/app/acme/main/settings`);
    await dana.getByRole("link", { name: "Add Tracker" }).click();
    await signInToApp(dana, "demo@example.com");
    await dana.getByRole("button", { name: "Authorize" }).click();
    await dana.getByLabel("Website").check();
    await dana.getByRole("button", { name: "Connect" }).click();
    await dana.getByRole("heading", { name: "Website now posts to Acme Inc / Main" }).waitFor();

    // Configure, from Inbox Settings: no comments, only issues labelled "bug".
    await dana.goto(`${fd.url}/app/acme/main/settings`);
    await dana.getByRole("link", { name: "Configure" }).click();
    await dana.getByRole("heading", { name: "Configure “Website”" }).waitFor();
    await dana.getByRole("checkbox", { name: "Comments" }).uncheck();
    await dana.getByLabel("Only issues with any of these labels").fill("bug");
    await dana.getByRole("button", { name: "Save" }).click();
    await dana.getByText("Saved. From the next change of an issue").waitFor();
    expect(await dana.getByRole("checkbox", { name: "Comments" }).isChecked()).toBe(false);
    await dana.screenshot({ path: path.join(os.tmpdir(), "tracker-configure.png"), fullPage: true });

    // Archive the project: the flow is told why nothing arrives.
    const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
    await dana.goto(`${appUrl}/projects/${project.id}/settings`);
    await dana.getByRole("button", { name: "Archive “Website”" }).click();
    await expect.poll(() => inboxSettingsError(dana), { timeout: 15_000 }).toContain("was archived");
    await dana.screenshot({ path: path.join(os.tmpdir(), "tracker-inbox-settings-error.png"), fullPage: true });

    // Unarchive: the error is gone.
    await dana.goto(`${appUrl}/projects/${project.id}/settings`);
    await dana.getByRole("button", { name: "Unarchive “Website”" }).click();
    await expect.poll(() => inboxSettingsError(dana), { timeout: 15_000 }).toBeNull();

    // Dana makes Sam an owner; Sam removes Dana, who connected it: the flow is told again.
    await dana.goto(`${appUrl}/projects/${project.id}/members`);
    await dana.getByLabel("Role of Sam Member").selectOption("owner");
    await dana.getByRole("button", { name: "Change role of Sam Member" }).click();
    const sam = await stack.newPage();
    await signInToFlowdock(sam);
    await sam.goto(`${appUrl}/projects/${project.id}/members`);
    await signInToApp(sam, "sam@example.com");
    await sam.goto(`${appUrl}/projects/${project.id}/members`);
    await sam.getByRole("button", { name: "Remove Dana Demo" }).click();
    await expect.poll(() => inboxSettingsError(sam), { timeout: 15_000 }).toContain("Dana Demo, who connected it, is no longer a member");

    // Sam takes it over from Configure in Inbox Settings: cleared.
    await sam.getByRole("link", { name: "Configure" }).click();
    await sam.getByRole("button", { name: "Post as me" }).click();
    await sam.getByText("the integration now posts as you").waitFor();
    await expect.poll(() => inboxSettingsError(sam), { timeout: 15_000 }).toBeNull();

    // The integration's page tells the whole story, in words.
    const integration = await app.db.integration.findFirstOrThrow();
    await sam.goto(`${appUrl}/projects/${project.id}/integrations/${integration.id}`);
    for (const words of ["took the integration over", "suspended posting", "resumed posting", "changed the settings"]) {
      expect(await sam.getByText(words).count()).toBeGreaterThan(0);
    }
    await sam.screenshot({ path: path.join(os.tmpdir(), "tracker-integration-record.png"), fullPage: true });

    // Disconnect from the app: Flowdock asks once, then the source is gone from Inbox Settings.
    await sam.goto(`${fd.url}/app/acme/main/settings`);
    await sam.getByRole("link", { name: "Configure" }).click();
    await sam.getByRole("button", { name: "Disconnect from Flowdock" }).click();
    await sam.getByRole("button", { name: "Authorize" }).click();
    await showingOrSay(sam, "Disconnected “Website”");
    await sam.screenshot({ path: path.join(os.tmpdir(), "tracker-disconnected.png"), fullPage: true });
    await sam.goto(`${fd.url}/app/acme/main/settings`);
    expect(await sam.getByText("Tracker · Website").count()).toBe(0);
    expect(await sam.getByText("No integrations yet.").count()).toBe(1);
  }, 120_000);
});
