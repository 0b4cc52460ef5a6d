// A request records one event row per domain event, however many flows the
// project posts to; the worker fans events out to each integration that wants
// them, through the one recipient rule, exactly once and in order.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, TEST_DATABASE, type TestApp } from "../support/app.ts";
import { allMessages, connectDemoProject, signedIn, until } from "../support/tracker.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { hashPassword } from "../../src/crypto/password.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { DeliveryWorker } from "../../src/activity-forwarding/delivery-worker.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
let worker: DeliveryWorker | undefined;

beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await api(fd.url, "/_simulator/faults", { method: "DELETE" });
  await app.close();
  await fd.close();
});

/** Makes the database refuse inserts into `table` matching `when` (on NEW), as a full disk would; returns how to stop. */
async function refuseInserts(table: string, when: string): Promise<() => Promise<void>> {
  if (TEST_DATABASE === "postgresql") {
    await app.db.$executeRawUnsafe(`CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`);
    await app.db.$executeRawUnsafe(`CREATE TRIGGER refuse BEFORE INSERT ON "${table}" FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION refuse()`);
    return async () => {
      await app.db.$executeRawUnsafe(`DROP TRIGGER refuse ON "${table}"`);
      await app.db.$executeRawUnsafe(`DROP FUNCTION refuse()`);
    };
  }
  await app.db.$executeRawUnsafe(`CREATE TRIGGER refuse BEFORE INSERT ON "${table}" WHEN ${when} BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
  return async () => { await app.db.$executeRawUnsafe(`DROP TRIGGER refuse`); };
}

const undelivered = async () => (await app.db.outboxEvent.count({ where: { fannedOut: false } })) + (await app.db.outboxMessage.count({ where: { status: "pending" } }));

/** Three flows: one takes everything, one has comments muted, one was connected by someone who has since left the project. */
async function threeFlows() {
  const all = await connectDemoProject(app, fd.url, "Everything");
  const muted = await connectDemoProject(app, fd.url, "No comments");
  await app.db.integration.update({ where: { id: muted.integration.id }, data: { mutedKinds: JSON.stringify(["issue.commented"]) } });
  const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
  const leaver = await app.db.user.create({ data: { email: "lee@example.com", name: "Lee Left", passwordHash: await hashPassword("lee-password"), memberships: { create: { projectId: project.id, role: "member" } } } });
  const left = await connectDemoProject(app, fd.url, "Lee's flow");
  await app.db.integration.update({ where: { id: left.integration.id }, data: { createdByUserId: leaver.id } });
  await app.db.membership.delete({ where: { userId_projectId: { userId: leaver.id, projectId: project.id } } });
  return { all: all.integration.id, muted: muted.integration.id, left: left.integration.id };
}

describe("fanning events out to a project's integrations", () => {
  it("when a project posts to three flows, each request writes one event row, and the worker gives each flow what it wants, in order per thread, counting what a suspended one missed", async () => {
    const ids = await threeFlows();
    const demo = await signedIn(app);
    const a = await demo.open({ title: "First" });
    const b = await demo.open({ title: "Second" });
    for (let i = 0; i < 3; i++) {
      await demo.comment(a, `a${i}`);
      await demo.comment(b, `b${i}`);
    }
    // Nothing per integration yet: one row per event.
    expect(await app.db.outboxEvent.count()).toBe(8);
    expect(await app.db.outboxMessage.count()).toBe(0);

    worker = createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), { pollMs: 10 });
    worker.start();
    await until(async () => (await undelivered()) === 0, 15_000, "every event to be delivered");

    const rows = await app.db.outboxMessage.findMany({ orderBy: { id: "asc" }, include: { event: true } });
    const of = (id: string) => rows.filter((r) => r.integrationId === id);
    expect(of(ids.all)).toHaveLength(8);
    expect(of(ids.muted).map((r) => r.event.kind)).toEqual(["issue.opened", "issue.opened"]);
    expect(of(ids.left)).toHaveLength(0);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: ids.left } })).skippedWhileSuspended).toBe(8);
    expect(rows.every((r) => r.status === "sent")).toBe(true);
    // Each integration's messages of a thread follow the order of the thread's events.
    for (const id of [ids.all, ids.muted]) {
      for (const thread of new Set(rows.map((r) => r.threadKey))) {
        const events = of(id).filter((r) => r.threadKey === thread).map((r) => r.eventId);
        expect(events).toEqual([...events].sort((x, y) => x - y));
      }
    }
    const messages = await allMessages(fd.url);
    expect(messages).toHaveLength(10);
    expect(new Set(messages.map((m) => m.uuid)).size).toBe(10);
    const position = new Map(messages.map((m, i) => [m.uuid, i]));
    for (const thread of new Set(rows.map((r) => r.threadKey))) {
      const sent = of(ids.all).filter((r) => r.threadKey === thread).map((r) => position.get(r.uuid)!);
      expect(sent).toEqual([...sent].sort((x, y) => x - y));
    }
  });

  it("when a project posts to more flows than one batch holds, each event reaches every flow once, over several batches, and a later event waits until the one before has reached them all", async () => {
    const { all, left } = await threeFlows();
    const template = await app.db.integration.findUniqueOrThrow({ where: { id: all } });
    // 249 more flows, as the worker sees them (no need for 249 sources: nothing is posted here).
    await app.db.integration.createMany({
      data: Array.from({ length: 249 }, (_, i) => ({
        projectId: template.projectId, sourceId: 10_000 + i, sourceName: `Flow ${i}`, sourceUrl: `${template.sourceUrl}-${i}`, flowId: `many-${i}`,
        flowUrl: template.flowUrl, flowWebUrl: template.flowWebUrl, organizationName: "Acme Inc", flowName: `Flow ${i}`,
        createdByUserId: template.createdByUserId, encryptedFlowToken: template.encryptedFlowToken,
      })),
    });
    const demo = await signedIn(app);
    const issue = await demo.open({ title: "Seen everywhere" });
    await demo.comment(issue, "and commented");
    const [opened, commented] = (await app.db.outboxEvent.findMany({ orderBy: { id: "asc" } })).map((e) => e.id);

    const outbox = outboxRepository(app.db, TEST_DATABASE);
    // 251 flows take each event (the muted one takes only the opening): three batches for the first.
    expect(await outbox.fanOut()).toBe(1);
    expect(await app.db.outboxMessage.count({ where: { eventId: opened } })).toBe(100);
    expect(await app.db.outboxMessage.count({ where: { eventId: commented } })).toBe(0);
    expect((await app.db.outboxEvent.findUniqueOrThrow({ where: { id: opened! } })).fannedOut).toBe(false);
    while ((await outbox.fanOut()) > 0);

    const rows = await app.db.outboxMessage.findMany({ orderBy: { id: "asc" } });
    const flows = await app.db.integration.count();
    expect(rows.filter((r) => r.eventId === opened)).toHaveLength(flows - 1); // all but the suspended one
    expect(rows.filter((r) => r.eventId === commented)).toHaveLength(flows - 2); // and not the muted one
    expect(new Set(rows.map((r) => `${r.eventId}/${r.integrationId}`)).size).toBe(rows.length);
    // Every opening was written before any comment, so each flow's thread keeps its order,
    // and only the opening is its thread's head.
    expect(Math.max(...rows.filter((r) => r.eventId === opened).map((r) => r.id))).toBeLessThan(Math.min(...rows.filter((r) => r.eventId === commented).map((r) => r.id)));
    expect(rows.filter((r) => r.dueAt !== null).map((r) => r.eventId)).toEqual(Array(flows - 1).fill(opened));
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: left } })).skippedWhileSuspended).toBe(2);
  });

  it("when a fan-out fails half-way, none of it is kept, and the next one gives each integration each event exactly once", async () => {
    const ids = await threeFlows();
    const demo = await signedIn(app);
    const n = await demo.open({ title: "Unlucky" });
    await demo.comment(n, "one");
    // The database refuses the second integration's rows, as a full disk would.
    const allow = await refuseInserts("OutboxMessage", `NEW."integrationId" = '${ids.muted}'`);
    const outbox = outboxRepository(app.db, TEST_DATABASE);
    await expect(outbox.fanOut()).rejects.toThrow(/disk full/);
    expect(await app.db.outboxMessage.count()).toBe(0);
    expect(await app.db.outboxEvent.count({ where: { fannedOut: false } })).toBe(2);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: ids.left } })).skippedWhileSuspended).toBe(0);

    await allow();
    // Two fan-outs at once, then more: still once each.
    await Promise.all([outbox.fanOut(), outbox.fanOut()]);
    expect(await outbox.fanOut()).toBe(0);
    const rows = await app.db.outboxMessage.findMany({ select: { integrationId: true, eventId: true } });
    expect(rows.filter((r) => r.integrationId === ids.all)).toHaveLength(2);
    expect(rows.filter((r) => r.integrationId === ids.muted)).toHaveLength(1);
    expect(new Set(rows.map((r) => `${r.integrationId}/${r.eventId}`)).size).toBe(rows.length);
    expect((await app.db.integration.findUniqueOrThrow({ where: { id: ids.left } })).skippedWhileSuspended).toBe(2);
  });

  it("when an issue's change fails, neither the change nor its event is kept", async () => {
    await threeFlows();
    const demo = await signedIn(app);
    const before = await app.db.issue.count();
    // An assignee who is not in the project fails the use case before anything is written…
    const refused = await demo.agent.post(`/projects/${demo.project.id}/issues`).type("form").send({ _csrf: demo.csrf, title: "x", assigneeId: "nobody" });
    expect(refused.status).toBe(400);
    // …and a change that fails inside its transaction takes its event with it.
    await refuseInserts("OutboxEvent", "1 = 1");
    const failed = await demo.agent.post(`/projects/${demo.project.id}/issues`).type("form").send({ _csrf: demo.csrf, title: "Lost" });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await app.db.issue.count()).toBe(before);
    expect(await app.db.outboxEvent.count()).toBe(0);
  });
});
