// The in-process worker lets the pages of its process go first (pages-first.ts).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PagesFirst } from "../../src/activity-forwarding/pages-first.ts";

describe("the in-process worker lets pages go first", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  /** A server whose page takes `ms`; `answered()` says whether it has answered yet. */
  async function slowPage(pages: PagesFirst, ms: number) {
    let answered = false;
    server = http.createServer((_req, res) => setTimeout(() => { answered = true; res.end("ok"); }, ms));
    pages.watch(server);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const arrived = new Promise<void>((resolve) => server!.once("request", () => resolve()));
    const page = fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`).then((r) => r.text());
    await arrived;
    return { page, answered: () => answered };
  }

  const first = (a: Promise<unknown>, b: Promise<unknown>) => Promise.race([a.then(() => "a"), b.then(() => "b")]);
  const after = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("when no page is being answered, the worker goes on at once", async () => {
    expect(await first(new PagesFirst().quiet(10_000), after(1_000))).toBe("a");
  });

  it("when a page is being answered, the worker goes on only once it is answered", async () => {
    const pages = new PagesFirst();
    const { page, answered } = await slowPage(pages, 300);
    await pages.quiet(10_000);
    expect(answered()).toBe(true);
    await page;
  });

  it("when a page takes long, the worker waits no longer than its limit", async () => {
    const pages = new PagesFirst();
    const { page, answered } = await slowPage(pages, 3_000);
    expect(await first(pages.quiet(200), after(2_000))).toBe("a");
    expect(answered()).toBe(false);
    await page;
  });
});
