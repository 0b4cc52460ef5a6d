// Fault injection, so tests and demos can see how an integration copes with a
// slow or failing Flowdock: added latency, a share of 500s, a share of requests
// that never get an answer, and forced answers for the next N requests.
import type { RequestHandler, Response } from "express";

export const FAULT_TARGETS = ["messages", "token", "api", "all"] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

export interface Conditions { latencyMs: number; errorRate: number; timeoutRate: number }
export interface Forced { status: number | "timeout"; remaining: number; retryAfterSeconds?: number | undefined }

const CLEAR: Conditions = { latencyMs: 0, errorRate: 0, timeoutRate: 0 };
// A request left unanswered is dropped after this long, so nothing leaks for ever.
const MAX_HANG_MS = 5 * 60_000;

export class Faults {
  private conditions = new Map<FaultTarget, Conditions>();
  private forced = new Map<FaultTarget, Forced[]>();
  private hanging = new Set<Response>();

  constructor(private readonly random: () => number = Math.random) {}

  set(target: FaultTarget, conditions: Partial<Conditions>): void {
    this.conditions.set(target, { ...CLEAR, ...this.conditions.get(target), ...conditions });
  }

  force(target: FaultTarget, forced: Forced): void {
    this.forced.set(target, [...(this.forced.get(target) ?? []), forced]);
  }

  clear(): void {
    this.conditions.clear();
    this.forced.clear();
  }

  snapshot() {
    return { conditions: Object.fromEntries(this.conditions), forced: Object.fromEntries(this.forced) };
  }

  /** Ends every request held open by a timeout fault (on shutdown or reset). */
  releaseHanging(): void {
    for (const res of this.hanging) res.socket?.destroy();
    this.hanging.clear();
  }

  middleware(target: Exclude<FaultTarget, "all">): RequestHandler {
    return async (_req, res, next) => {
      const forced = this.takeForced(target);
      if (forced) return this.act(res, forced.status, forced.retryAfterSeconds);
      const c = this.effective(target);
      if (c.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, c.latencyMs));
      if (c.timeoutRate > 0 && this.random() < c.timeoutRate) return this.act(res, "timeout");
      if (c.errorRate > 0 && this.random() < c.errorRate) return this.act(res, 500);
      next();
    };
  }

  private takeForced(target: FaultTarget): Forced | undefined {
    for (const key of [target, "all"] as const) {
      const queue = this.forced.get(key);
      const head = queue?.[0];
      if (!head) continue;
      if (--head.remaining <= 0) queue.shift();
      return head;
    }
    return undefined;
  }

  private effective(target: FaultTarget): Conditions {
    const own = this.conditions.get(target) ?? CLEAR;
    const all = this.conditions.get("all") ?? CLEAR;
    return {
      latencyMs: own.latencyMs + all.latencyMs,
      errorRate: Math.max(own.errorRate, all.errorRate),
      timeoutRate: Math.max(own.timeoutRate, all.timeoutRate),
    };
  }

  private act(res: Response, status: number | "timeout", retryAfterSeconds?: number): void {
    if (status === "timeout") {
      this.hanging.add(res);
      const drop = setTimeout(() => res.socket?.destroy(), MAX_HANG_MS);
      res.on("close", () => {
        clearTimeout(drop);
        this.hanging.delete(res);
      });
      return;
    }
    if (retryAfterSeconds !== undefined) res.set("Retry-After", String(retryAfterSeconds));
    res.status(status).json({ message: status >= 500 ? "Simulated outage" : "Simulated failure" });
  }
}
