// An integration deleted (disconnected by a person, or gone from Flowdock) while
// the worker fans out or acknowledges its messages, on PostgreSQL, where they
// run side by side: the batch must neither fail on the foreign key nor
// deadlock with the delete's cascade, and a person's disconnect that loses a
// deadlock anyway runs again instead of showing an error. Runs on a PostgreSQL database of its own in every pass;
// skipped, saying so, only where no server answers.
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const available = await postgresAvailable();

let fd: LocalFlowdock;
let app: TestApp;
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let other: pg.Client;

describe.skipIf(!available)("an integration deleted while the worker works on its events and messages (PostgreSQL)", () => {
  beforeEach(async () => {
    scratch = await createScratchDatabase();
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url, { DATABASE_URL: scratch.url });
    other = new pg.Client({ connectionString: scratch.url });
    await other.connect();
  });
  afterEach(async () => {
    await other?.end().catch(() => undefined);
    await app?.close();
    await fd?.close();
    await scratch?.drop();
  });

  it("when the delete has locked the integration before the batch starts, the batch waits, leaves it out and finishes the event; the delete commits", async () => {
    const { integration } = await connectDemoProject(app, fd.url);
    const outbox = outboxRepository(app.db, "postgresql");
    const demo = await signedIn(app);
    // The thread already has a delivered message: the batch locks it (the
    // thread's last row) while deciding whether the new one is the head, and
    // the delete's cascade wants that same row.
    const issue = await demo.open({ title: "Already delivered" });
    expect(await outbox.fanOut()).toBe(1);
    await app.db.outboxMessage.updateMany({ data: { status: "sent", dueAt: null, sentAt: new Date() } });
    expect((await demo.comment(issue, "sent while it is being disconnected")).status).toBe(303);

    // The delete, as a disconnect runs it: the integration's row first, then
    // (through the cascade) its messages.
    await other.query("BEGIN");
    await other.query(`SELECT "id" FROM "Integration" WHERE "id" = $1 FOR UPDATE`, [integration.id]);
    const fanning = outbox.fanOut().then((n) => ({ n }), (err: unknown) => ({ err }));
    await new Promise((r) => setTimeout(r, 300)); // the batch is under way, waiting or not
    const deleted = await other.query(`DELETE FROM "Integration" WHERE "id" = $1`, [integration.id]).then((r) => r.rowCount, (err: unknown) => err);
    await other.query(deleted === 1 ? "COMMIT" : "ROLLBACK");

    expect(deleted).toBe(1);
    expect(await fanning).toEqual({ n: 1 });
    expect(await app.db.outboxMessage.count()).toBe(0);
    expect(await app.db.outboxEvent.count({ where: { fannedOut: false } })).toBe(0);
  });

  it("when the delete commits while the batch waits on it, the batch leaves the integration out instead of failing on the foreign key", async () => {
    const { integration } = await connectDemoProject(app, fd.url);
    const outbox = outboxRepository(app.db, "postgresql");
    const demo = await signedIn(app);
    await demo.open({ title: "Opened as it is disconnected" });

    await other.query("BEGIN");
    await other.query(`DELETE FROM "Integration" WHERE "id" = $1`, [integration.id]);
    const fanning = outbox.fanOut().then((n) => ({ n }), (err: unknown) => ({ err }));
    await new Promise((r) => setTimeout(r, 300));
    await other.query("COMMIT");

    expect(await fanning).toEqual({ n: 1 });
    expect(await app.db.outboxMessage.count()).toBe(0);
    expect(await app.db.outboxEvent.count({ where: { fannedOut: false } })).toBe(0);
  });

  it("when a disconnect's cascade and another transaction lock the integration and one of its messages in opposite orders, the server picks the disconnect as the deadlock's victim and it runs again and succeeds", async () => {
    const { integration } = await connectDemoProject(app, fd.url);
    const demo = await signedIn(app);
    await demo.open({ title: "Queued" });
    expect(await outboxRepository(app.db, "postgresql").fanOut()).toBe(1);
    const [message] = await app.db.outboxMessage.findMany();

    // The other transaction holds the message (as an acknowledgement does) …
    await other.query("BEGIN");
    await other.query(`SELECT "id" FROM "OutboxMessage" WHERE "id" = $1 FOR UPDATE`, [message!.id]);
    const integrations = integrationsRepository(app.db, createTokenCipher(app.config.tokenEncryptionKeys));
    const dana = await app.db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
    const disconnecting = integrations.disconnect(integration.id, dana, "test").then(() => "done", (err: unknown) => err);
    await new Promise((r) => setTimeout(r, 300)); // the disconnect holds the integration and waits for the message
    // … and then wants the integration: a cycle, which the server breaks after
    // deadlock_timeout (1 s) by failing the transaction that waited longest.
    const otherWaited = other.query(`SELECT "id" FROM "Integration" WHERE "id" = $1 FOR KEY SHARE`, [integration.id]).then((r) => r.rowCount, (err: unknown) => err);
    expect(await otherWaited).toBe(1);
    await other.query("COMMIT");

    expect(await disconnecting).toBe("done");
    expect(await app.db.integration.count()).toBe(0);
    expect(await app.db.outboxMessage.count()).toBe(0);
    expect(await app.db.auditEntry.count({ where: { action: "integration.disconnected" } })).toBe(1);
  });
});
