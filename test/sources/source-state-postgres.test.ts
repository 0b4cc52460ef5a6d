// On PostgreSQL, several worker processes each run a source-state reconciler:
// the lease lets one at a time update a source, so quick flips still end in
// the right state and no update repeats the one before it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectDemoProject, until } from "../support/tracker.ts";
import { createScratchDatabase, postgresAvailable } from "../support/postgres.ts";
import { createDeliveryWorker } from "../../src/activity-forwarding/create-worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

const available = await postgresAvailable();

describe.skipIf(!available)("two source-state reconcilers on PostgreSQL", () => {
  let fd: LocalFlowdock;
  let app: TestApp;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    fd = await startTestFlowdock();
    app = await startTestApp(fd.url, { DATABASE_URL: scratch.url, FLOWDOCK_TIMEOUT_MS: "2000", DELIVERY_LEASE_SECONDS: "5" });
  });
  afterAll(async () => {
    await app?.close();
    await fd?.close();
    await scratch?.drop();
  });

  it("when two workers watch the same source while its project is archived and unarchived quickly, it ends right and no update repeats the one before", { timeout: 60_000 }, async () => {
    const c = await connectDemoProject(app, fd.url);
    const workers = [1, 2].map(() => createDeliveryWorker(app.config, app.db, createLogger({ level: "silent", name: "w" }), { pollMs: 20 }, { pollMs: 15, retry: { baseDelayMs: 20, maxDelayMs: 100 } }));
    workers.forEach((w) => w.start());
    try {
      await api(fd.url, "/_simulator/faults/api", { method: "PUT", body: { latencyMs: 80 } });
      for (let i = 0; i < 9; i++) {
        await app.db.project.update({ where: { id: c.integration.projectId }, data: { archivedAt: i % 2 === 0 ? new Date() : null } });
        await new Promise((r) => setTimeout(r, 40 + (i * 17) % 50));
      }
      await until(async () => (await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } })).reportedError?.includes("was archived") ?? false, 20_000, "the final error to be shown");
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await api(fd.url, "/_simulator/faults", { method: "DELETE" });
    }
    const source = (await api(fd.url, `/flows/acme/main/sources/${c.source.id}`, { token: c.userToken })).body as { error_message: string | null };
    expect(source.error_message).toContain("was archived");
    const updates = (await api(fd.url, `/_simulator/source-updates?source=${c.source.id}`)).body as { changes: { error_message?: string | null } }[];
    const errors = updates.map((u) => u.changes.error_message).filter((m) => m !== undefined);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).not.toEqual(errors[i - 1]);
    const stored = await app.db.integration.findUniqueOrThrow({ where: { id: c.integration.id } });
    expect(stored.sourceSyncLeaseOwner).toBeNull();
  });
});
