// People opening issues at a steady rate (an open loop: a request starts every
// 1/rate seconds whether or not earlier ones have answered), so the numbers are
// the latency of the action itself, not of a saturated server. (autocannon's
// fixed-rate mode reports latencies below Flowdock's own delay, so we time each
// request ourselves.)
import { signIn } from "./harness.ts";

/** Untimed requests made before the timed ones (each records an event too). */
export const WARM_UP = 5;

export interface Latency {
  p50: number;
  p99: number;
}

export async function createIssues(app: { url: string; projectId: string }, label: string, total: number, perSecond = 20): Promise<Latency> {
  const { cookie, csrf } = await signIn(app.url);
  const body = new URLSearchParams({ _csrf: csrf, title: "Benchmark issue", description: "Opened by npm run bench", priority: "normal" }).toString();
  // A few untimed requests first: the first ones compile templates and warm the JIT.
  for (let i = 0; i < WARM_UP; i++) await (await fetch(`${app.url}/projects/${app.projectId}/issues`, { method: "POST", redirect: "manual", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body })).arrayBuffer();
  const timings: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    timings.push((async () => {
      const started = performance.now();
      const res = await fetch(`${app.url}/projects/${app.projectId}/issues`, { method: "POST", redirect: "manual", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body });
      await res.arrayBuffer();
      if (res.status !== 303) throw new Error(`${label}: create issue answered ${res.status}`);
      return performance.now() - started;
    })());
    await new Promise((r) => setTimeout(r, 1000 / perSecond));
  }
  const sorted = (await Promise.all(timings)).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99) };
}
