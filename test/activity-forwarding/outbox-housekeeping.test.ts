// Delivered rows are kept a while for the "recent deliveries" list, then pruned,
// and events once nothing refers to them; rows still to deliver (or failed)
// and their events are never pruned.
import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { outboxRepository } from "../../src/activity-forwarding/outbox.repository.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";
import { databaseKind } from "../../src/db/database-url.ts";

let app: TestApp;
beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
afterEach(async () => { await app.close(); });

describe("outbox housekeeping", () => {
  it("when delivered rows are older than the cut-off they are pruned, and pending, failed and recent rows stay", async () => {
    const project = await app.db.project.findFirstOrThrow();
    const user = await app.db.user.findFirstOrThrow();
    const integration = await integrationsRepository(app.db, createTokenCipher(app.config.tokenEncryptionKeys)).create({
      projectId: project.id, sourceId: 1, sourceName: "S", sourceUrl: "http://f/s/1", flowId: "f", flowUrl: "http://f/flows/a/b", flowWebUrl: "http://f/app/a/b",
      organizationName: "A", flowName: "B", createdByUserId: user.id, flowToken: "t",
    });
    const day = 86_400_000;
    const row = async (status: string, sentDaysAgo: number | null) => {
      const at = new Date(Date.now() - (sentDaysAgo ?? 9) * day);
      const event = await app.db.outboxEvent.create({ data: { projectId: project.id, threadKey: "issue:1", kind: "issue.commented", payload: "{}", fannedOut: true, createdAt: at } });
      return { eventId: event.id, integrationId: integration.id, threadKey: "issue:1", uuid: crypto.randomUUID(), status, sentAt: sentDaysAgo === null ? null : at };
    };
    await app.db.outboxMessage.createMany({ data: [await row("sent", 10), await row("sent", 8), await row("sent", 1), await row("pending", null), await row("dead", null)] });

    const outbox = outboxRepository(app.db, databaseKind(app.config.databaseUrl));
    expect(await outbox.pruneSent(new Date(Date.now() - 7 * day))).toBe(2);
    const left = await app.db.outboxMessage.findMany({ select: { status: true } });
    expect(left.map((r) => r.status).sort()).toEqual(["dead", "pending", "sent"]);
    expect(await app.db.outboxEvent.count()).toBe(3);
  });
});
