// Acting on an issue from the flow, in a real browser (Debian's chromium through
// playwright-core): alice presses "Assign to me" on the issue's thread in the
// local Flowdock's team inbox, is asked to sign in to Tracker, follows the link,
// signs in and authorizes, presses again, and the issue is hers; the thread
// then shows her as assignee and offers "Unassign"; "Close" turns it red.
// Skipped with a loud reason when there is no chromium.
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { hasChromium, reportFailures, startBrowserStack, type BrowserStack } from "../support/browser-stack.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { untilFlowHas } from "../support/thread-actions.ts";
import { createAccount, website } from "../support/people.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";


describe.skipIf(!hasChromium)("acting on an issue from its thread in a browser", () => {
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

  const thread = (page: Page) => page.getByRole("article").filter({ hasText: "Footer link is broken" });

  it("when alice presses Assign to me, signs in to Tracker from the challenge and presses again, the issue is hers; Close turns the thread red", async () => {
    // Website posts to acme/main and has an open issue; alice has a Tracker account in Website.
    await connectDemoProject(app, fd.url);
    const alice = await createAccount(app, "alice@example.com", "Alice Anders", "alice-in-tracker");
    await app.db.membership.create({ data: { userId: alice.id, projectId: (await website(app)).id, role: "member" } });
    const demo = await signedIn(app);
    await demo.open({ title: "Footer link is broken", description: "The **footer** link points at `/old`." });
    await untilFlowHas(fd.url, 1);

    const page = await stack.newPage();
    await page.goto(`${fd.url}/login`);
    await page.getByLabel("Email").fill("alice@example.com");
    await page.getByLabel("Password").fill("flowdock");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.goto(`${fd.url}/app/acme/main`);
    await expect(thread(page).locator("strong", { hasText: "footer" }).count()).resolves.toBe(1);
    await expect(thread(page).getByRole("link", { name: "Open in Tracker" }).count()).resolves.toBe(1);

    // First press: Tracker doesn't know this Flowdock user yet.
    await thread(page).getByRole("button", { name: "Assign to me" }).click();
    await thread(page).getByText("Tracker needs you to sign in").waitFor();
    const [tab] = await Promise.all([page.context().waitForEvent("page"), thread(page).getByRole("link", { name: "Sign in to Tracker" }).click()]);
    await tab.waitForURL(`${appUrl}/sign-in`);
    await tab.getByLabel("Email").fill("alice@example.com");
    await tab.getByLabel("Password").fill("alice-in-tracker");
    await tab.getByRole("button", { name: "Sign in" }).click();
    await tab.getByRole("heading", { name: "Link your Flowdock account" }).waitFor();
    await tab.getByRole("button", { name: "Continue to Flowdock" }).click();
    await tab.getByRole("heading", { name: "Authorize Tracker?" }).waitFor();
    await tab.getByRole("button", { name: "Authorize" }).click();
    await tab.getByText("Your Flowdock account Alice Anders is linked.").waitFor();
    await tab.close();

    // Second press: done, as alice's Tracker account.
    await thread(page).getByRole("button", { name: "Assign to me" }).click();
    await thread(page).getByText("Assign to me: done.").waitFor();
    expect((await app.db.issue.findFirstOrThrow({ where: { title: "Footer link is broken" } })).assigneeId).toBe(alice.id);
    await untilFlowHas(fd.url, 2);
    await page.reload();
    await expect(thread(page).locator("dl.fields dd").first().textContent()).resolves.toBe("Alice Anders");
    await expect(thread(page).getByRole("button", { name: "Unassign" }).count()).resolves.toBe(1);

    await thread(page).getByRole("button", { name: "Close" }).click();
    await thread(page).getByText("Close: done.").waitFor();
    expect((await app.db.issue.findFirstOrThrow({ where: { title: "Footer link is broken" } })).status).toBe("closed");
    await untilFlowHas(fd.url, 3);
    await page.reload();
    await expect(thread(page).locator(".status").getAttribute("class")).resolves.toContain("status-red");
    await expect(thread(page).getByRole("button", { name: "Reopen" }).count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(os.tmpdir(), "tracker-thread-actions.png"), fullPage: true });
  });
});
