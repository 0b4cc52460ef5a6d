// Drain rate against the shape of the backlog: how many events one worker
// delivers per second, and the worker's CPU per event, for a backlog of a given
// size, shape and delivered history. Flat means the cost of an event doesn't
// depend on how busy its thread is or how much was delivered before.
import type { PagesFirst } from "../src/activity-forwarding/pages-first.ts";
import { createDeliveryWorker } from "../src/activity-forwarding/create-worker.ts";
import type { DeliveryWorker } from "../src/activity-forwarding/delivery-worker.ts";
import { createLogger } from "../src/observability/logger.ts";
import { addHistory, nextEventId, recordEvents, resetTo, type BenchDb } from "./bench-db.ts";

export const CONCURRENCY = 8;
const quiet = createLogger({ level: "silent", name: "bench" });

export type Shape = "many threads" | "hot, interleaved" | "hot, one after another";
export const SHAPES: Shape[] = ["many threads", "hot, interleaved", "hot, one after another"];
const HOT_THREADS = 10;

/** The thread key of each event, in the order they are recorded. */
export function shapeOf(shape: Shape, events: number): string[] {
  switch (shape) {
    case "many threads": // a few events each, threads interleaved
      return Array.from({ length: events }, (_, i) => `t${i % Math.max(1, Math.floor(events / 4))}`);
    case "hot, interleaved":
      return Array.from({ length: events }, (_, i) => `t${i % HOT_THREADS}`);
    case "hot, one after another": { // a burst lands on one issue before the next
      const per = Math.ceil(events / HOT_THREADS);
      return Array.from({ length: events }, (_, i) => `t${Math.floor(i / per)}`);
    }
  }
}

export interface DrainResult {
  events: number;
  seconds: number;
  perSecond: number;
  cpuMsPerEvent: number;
  /** How many runs the figures are the median of. */
  runs?: number;
}

/** Starts a worker on the queued backlog and times it until `events` messages were sent. */
export async function drain(bench: BenchDb, events: number, during?: (worker: DeliveryWorker) => Promise<void>, pagesFirst?: PagesFirst): Promise<DrainResult> {
  let sent = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const worker: DeliveryWorker = createDeliveryWorker(bench.config, bench.db, quiet, {
    concurrency: CONCURRENCY,
    ...(pagesFirst ? { pagesFirst } : {}),
    onOutcome: (o) => { if (o.outcome === "sent" && ++sent >= events) done(); },
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  worker.start();
  await Promise.all([finished, during?.(worker)]);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await worker.stop();
  return { events, seconds, perSecond: events / seconds, cpuMsPerEvent: (used.user + used.system) / 1000 / events };
}

export interface DrainRow {
  shape: Shape;
  history: number;
  results: DrainResult[];
}

// A 2,000-event drain lasts half a second, so one run's rate moved by ±30%
// from run to run (JIT, GC, the checkpoint thread, the disk): a size is
// drained again from the same state until at least this many events were
// drained in all (and at least once), and the median run is shown.
const EVENTS_PER_CELL = 20_000;

/** For each shape: drains of each size, each from the same history; the median of repeated runs for small sizes. */
export async function drainTable(bench: BenchDb, sizes: number[], history: number, eventsPerCell = EVENTS_PER_CELL): Promise<DrainRow[]> {
  await addHistory(bench, history, HOT_THREADS);
  const baseline = await nextEventId(bench);
  const rows: DrainRow[] = [];
  for (const shape of SHAPES) {
    const results: DrainResult[] = [];
    for (const size of sizes) {
      const runs: DrainResult[] = [];
      for (let drained = 0; drained < eventsPerCell || runs.length === 0; drained += size) {
        await resetTo(bench, baseline);
        await recordEvents(bench, shapeOf(shape, size));
        runs.push(await drain(bench, size));
      }
      results.push(median(runs));
    }
    rows.push({ shape, history, results });
  }
  await resetTo(bench, baseline);
  return rows;
}

function median(runs: DrainResult[]): DrainResult {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, runs: runs.length };
}
