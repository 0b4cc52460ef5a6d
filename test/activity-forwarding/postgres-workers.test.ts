// On PostgreSQL, several worker processes share one outbox: a few thousand
// events, two workers, none lost, none duplicated, each thread in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, until } from "../support/tracker.ts";
import { exited, spawnWorker } from "../support/worker-process.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";
import { databaseKind } from "../../src/db/database-url.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { issuesRepository } from "../../src/tracker/issues.repository.ts";
import { projectsRepository } from "../../src/tracker/projects.repository.ts";
import { issuesService } from "../../src/tracker/issues.service.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const available = await postgresAvailable();
const ISSUES = 150;
const COMMENTS_PER_ISSUE = 19; // with the opening: 3,000 events

describe.skipIf(!available)("two delivery workers on PostgreSQL", () => {
  let fd: LocalFlowdock;
  let app: TestApp;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url, { DATABASE_URL: scratch.url });
  });
  afterAll(async () => {
    await app?.close();
    await fd?.close();
    await scratch?.drop();
  });

  it("when two workers share the outbox, a few thousand events arrive once each and in order per thread", { timeout: 180_000 }, async () => {
    await connectDemoProject(app, fd.url);
    const projects = projectsRepository(app.db);
    const service = issuesService({
      db: app.db, issues: issuesRepository(app.db), projects,
      recorder: outboxRepository(app.db, databaseKind(scratch.url)).recorder,
      links: { issueUrl: (i) => `http://app.test/issues/${i.number}`, avatarUrl: () => "http://app.test/a.svg", actionUrl: (i, a) => `http://app.test/flowdock/actions/issues/${i.id}/${a}` },
    });
    const demo = await app.db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
    const project = (await projects.listForUser(demo.id))[0]!;
    const actor = { id: demo.id, name: demo.name, email: demo.email };

    const env = { DATABASE_URL: scratch.url, FLOWDOCK_API_URL: fd.url, DELIVERY_CONCURRENCY: "8" };
    const workers = [spawnWorker(env), spawnWorker(env)];
    // Which workers hold leases, sampled while events flow.
    const claimants = new Set<string>();
    const sampler = setInterval(() => {
      app.db.outboxMessage.findMany({ where: { leaseOwner: { not: null } }, distinct: ["leaseOwner"], select: { leaseOwner: true } })
        .then((rows) => rows.forEach((r) => claimants.add(r.leaseOwner!)), () => undefined);
    }, 20);
    try {
      // Events keep arriving while both workers deliver, several issues at a time.
      const lanes = Array.from({ length: 10 }, (_, lane) => (async () => {
        for (let i = lane; i < ISSUES; i += 10) {
          const issue = await service.open(actor, project.id, { title: `Issue ${i}`, description: "", priority: "normal", labels: [], assigneeId: null });
          for (let c = 0; c < COMMENTS_PER_ISSUE; c++) await service.comment(actor, project.id, issue.number, `comment ${c}`);
        }
      })());
      await Promise.all(lanes);
      const total = ISSUES * (COMMENTS_PER_ISSUE + 1);
      await until(async () => (await app.db.outboxMessage.count()) === total, 30_000, "every event to be fanned out");
      await until(async () => (await app.db.outboxMessage.count({ where: { status: "sent" } })) === total, 150_000, "all events to be sent");
      clearInterval(sampler);
      // Both processes took part.
      expect(claimants.size).toBe(2);

      const messages = await allMessages(fd.url);
      expect(messages).toHaveLength(total);
      expect(new Set(messages.map((m) => m.uuid)).size).toBe(total);
      const rows = await app.db.outboxMessage.findMany({ orderBy: { id: "asc" }, select: { uuid: true, threadKey: true, leaseOwner: true } });
      const position = new Map(messages.map((m, i) => [m.uuid, i]));
      const byThread = new Map<string, number[]>();
      for (const r of rows) byThread.set(r.threadKey, [...(byThread.get(r.threadKey) ?? []), position.get(r.uuid)!]);
      expect(byThread.size).toBe(ISSUES);
      for (const order of byThread.values()) expect(order).toEqual([...order].sort((a, b) => a - b));
    } finally {
      clearInterval(sampler);
      for (const w of workers) w.kill("SIGTERM");
      await Promise.all(workers.map(exited));
    }
    await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  });
});
