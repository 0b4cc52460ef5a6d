// A flow watched in a real browser (Debian's chromium through playwright-core):
// what an integration posts through the API, and what another person types in
// the chat, appear in an open flow page without a reload, through the page's
// script and the flow's event stream. Skipped with a loud reason when there is
// no chromium.
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { hasChromium, launchChromium } from "../support/browser-stack.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSource, startTestFlowdock } from "../support/local-flowdock.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";


describe.skipIf(!hasChromium)("watching a flow in a browser", () => {
  let fd: LocalFlowdock;
  let browser: Browser;

  beforeAll(async () => {
    fd = await startTestFlowdock();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await fd?.close();
  });

  /** A person's own browser (own cookies), signed in and looking at acme/main. */
  async function openFlow(email: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (err) => { throw err; });
    await page.goto(`${fd.url}/login`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("flowdock");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.goto(`${fd.url}/app/acme/main`);
    return page;
  }

  it("when an integration posts and Bob types in the chat, Alice's open page shows both without a reload", async () => {
    const { source } = await createSource(fd.url);
    const alice = await openFlow("alice@example.com");
    const bob = await openFlow("bob@example.com");
    let reloads = 0;
    alice.on("framenavigated", (frame) => { if (frame === alice.mainFrame()) reloads++; });

    const posted = await api(fd.url, "/messages", { method: "POST", body: {
      flow_token: source.flow_token, event: "activity", author: { name: "Dana" }, title: "opened the issue",
      external_thread_id: "issue-7", thread: { title: "Checkout button does nothing" },
    } });
    expect(posted.status).toBe(202);
    await alice.getByRole("article").filter({ hasText: "Checkout button does nothing" }).getByText("opened the issue").waitFor({ timeout: 10_000 });

    await bob.getByLabel("Message to Main").fill("Looking at the checkout now");
    await bob.getByRole("button", { name: "Send" }).click();
    // Bob's own page works as a form: it posts and comes back with his message.
    await bob.getByRole("log", { name: "Chat messages" }).getByText("Looking at the checkout now").waitFor();
    await alice.getByRole("log", { name: "Chat messages" }).getByText("Looking at the checkout now").waitFor({ timeout: 10_000 });
    await expect(alice.getByRole("log", { name: "Chat messages" }).getByText("Bob Berg").count()).resolves.toBe(1);
    expect(reloads).toBe(0);
    await alice.screenshot({ path: path.join(os.tmpdir(), "flow-chat-live.png"), fullPage: true });
  }, 60_000);
});
