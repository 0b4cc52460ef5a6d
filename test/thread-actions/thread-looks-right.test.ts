// What people write in Markdown reaches the issue page and the flow as the same
// safe HTML (rendered by markdown-it, sanitized), and every post carries the
// thread's actions for the issue's state.
import { afterEach, beforeEach, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, signedIn } from "../support/tracker.ts";
import { untilFlowHas } from "../support/thread-actions.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
let worker: DeliveryWorker;
beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
  worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), { pollMs: 10 });
});
afterEach(async () => {
  await worker.stop();
  await app.close();
  await fd.close();
});

const DESCRIPTION = "The **footer** link points at `/old`.\n\n- see [the page](https://example.com/page)\n- <script>alert(1)</script> [bad](javascript:alert(1))";

it("when an issue's description and a comment are Markdown, the issue page and the flow's thread show the same sanitized HTML", async () => {
  await connectDemoProject(app, fd.url);
  const demo = await signedIn(app);
  const n = await demo.open({ title: "Footer", description: DESCRIPTION });
  expect((await demo.comment(n, "Fixed in _staging_.")).status).toBe(303);

  const page = (await demo.agent.get(`/projects/${demo.project.id}/issues/${n}`)).text;
  expect(page).toContain("The <strong>footer</strong> link points at <code>/old</code>.");
  expect(page).toContain('<a href="https://example.com/page" rel="nofollow noopener noreferrer">the page</a>');
  expect(page).toContain("Fixed in <em>staging</em>.");
  expect(page).not.toContain("<script>alert(1)");
  expect(page).not.toContain("href=\"javascript:");

  worker.start();
  await untilFlowHas(fd.url, 2);
  const [opened, commented] = await allMessages(fd.url);
  const thread = opened!.thread as unknown as { body: string; actions: { "@type": string; name: string; url?: string; target?: { urlTemplate: string; httpMethod: string } }[] };
  expect(thread.body).toContain("<p>The <strong>footer</strong> link points at <code>/old</code>.</p>");
  expect(thread.body).toContain("&lt;script&gt;");
  expect(thread.body).not.toContain("<script>");
  expect(thread.body).not.toContain("href=\"javascript:");
  expect(commented!.body).toBe("<p>Fixed in <em>staging</em>.</p>");

  const issue = await app.db.issue.findFirstOrThrow({ where: { projectId: demo.project.id, number: n } });
  expect(thread.actions).toEqual([
    { "@type": "ViewAction", name: "Open in Tracker", description: "Open the issue in Tracker", url: `http://app.test/projects/${demo.project.id}/issues/${n}` },
    { "@type": "UpdateAction", name: "Close", description: "Close the issue", target: { "@type": "EntryPoint", urlTemplate: `http://app.test/flowdock/actions/issues/${issue.id}/close`, httpMethod: "POST" } },
    { "@type": "UpdateAction", name: "Assign to me", description: "Assign the issue to yourself", target: { "@type": "EntryPoint", urlTemplate: `http://app.test/flowdock/actions/issues/${issue.id}/assign-to-me`, httpMethod: "POST" } },
  ]);
});
