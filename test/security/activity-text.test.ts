// People's text reaches Flowdock as text: an activity title is plain text with
// only <a> allowed, so label names and the assignee's name are escaped where
// the titles are built, as the local Flowdock's read-back of the posted message shows.
import { afterEach, beforeEach, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
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

it("when a label is a link and the assignee's name holds a script, the flow shows them as text, not as markup", async () => {
  await connectDemoProject(app, fd.url);
  const demo = await signedIn(app);
  const mallory = await app.db.user.create({ data: { email: "mallory@example.com", name: "<script>alert(1)</script> Mallory", passwordHash: "x" } });
  await app.db.membership.create({ data: { userId: mallory.id, projectId: demo.project.id, role: "member" } });

  const n = await demo.open({ title: "Plain title", labels: "<a href=//evil.example>x</a>" });
  const labelled = await demo.edit(n, { title: "Plain title", labels: "<a href=//evil.example>x</a>, bug", assigneeId: "" });
  expect(labelled.status).toBe(303);
  const assigned = await demo.edit(n, { title: "Plain title", labels: "<a href=//evil.example>x</a>, bug", assigneeId: mallory.id });
  expect(assigned.status).toBe(303);
  worker.start();
  await until(async () => (await app.db.outboxEvent.count({ where: { fannedOut: false } })) + (await app.db.outboxMessage.count({ where: { status: "pending" } })) === 0, 20_000, "deliveries");

  const titles = (await allMessages(fd.url)).map((m) => m.title ?? "");
  expect(titles).toContain("labelled the issue &lt;a href=//evil.example&gt;x&lt;/a&gt;, bug");
  expect(titles).toContain("assigned the issue to &lt;script&gt;alert(1)&lt;/script&gt; Mallory");
  for (const title of titles) {
    expect(title).not.toContain("<a href=//evil.example>");
    expect(title).not.toContain("<script>");
  }
});
