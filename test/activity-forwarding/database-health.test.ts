// How the worker reads a failed query: a lost server pauses deliveries with
// backoff; a transaction the server rolled back because of another one (a
// deadlock's victim) is only tried again on the next trip.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DatabaseHealth } from "../../src/activity-forwarding/database-health.ts";
import { createLogger } from "../../src/observability/logger.ts";

function health() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", name: "health" }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  return { health: new DatabaseHealth(logger, { firstMs: 100, maxMs: 1_000 }), lines };
}

describe("the worker's view of its database", () => {
  it("when PostgreSQL picks a worker transaction as a deadlock's victim, deliveries go on without a pause and nothing is logged as an outage", async () => {
    const { health: h, lines } = health();
    const deadlock = Object.assign(new Error("deadlock detected"), { code: "40P01" });
    expect(await h.watch(() => Promise.reject(deadlock))).toBeUndefined();
    expect(h.reachable).toBe(true);
    expect(lines).toEqual([]);
  });

  it("when the server can't be reached, deliveries pause, the outage is logged once, and the wait doubles", async () => {
    const { health: h, lines } = health();
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    await h.watch(() => Promise.reject(refused));
    await h.watch(() => Promise.reject(refused));
    expect(h.reachable).toBe(false);
    expect(h.nextWaitMs()).toBe(200);
    expect(lines).toHaveLength(1);
    expect(await h.watch(async () => 1)).toBe(1);
    expect(h.reachable).toBe(true);
  });
});
