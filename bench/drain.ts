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
// from run to run (JIT, GC, the checkpoint thread, the disk), and a 40,000-event
// one by ±20%: the same code put a 40k cell at 0.78× and at 0.98× its 2k cell
// in two runs. So each size is drained again from the same state until at
// least this many events and MIN_RUNS runs were drained, and the median run is
// shown. The runs of each size are spread evenly over the row's time, so a
// machine that is slower or faster for a while moves every size alike. (When
// the sizes only took turns, seven of the ten 2k runs came after the last 40k
// one; in one run such a row read 0.78× with its 2k median 22% above the same
// shape's without history.)
const EVENTS_PER_CELL = 20_000;
export const MIN_RUNS = 3;

/** For each shape: drains of each size, each from the same history; the median of repeated runs, the runs of each size spread over the row (see schedule). */
export async function drainTable(bench: BenchDb, sizes: number[], history: number, eventsPerCell = EVENTS_PER_CELL): Promise<DrainRow[]> {
  await addHistory(bench, history, HOT_THREADS);
  const baseline = await nextEventId(bench);
  const rows: DrainRow[] = [];
  for (const shape of SHAPES) {
    const runs: DrainResult[][] = sizes.map(() => []);
    for (const i of schedule(sizes, eventsPerCell)) {
      await resetTo(bench, baseline);
      await recordEvents(bench, shapeOf(shape, sizes[i]!));
      runs[i]!.push(await drain(bench, sizes[i]!));
    }
    rows.push({ shape, history, results: runs.map(median) });
  }
  await resetTo(bench, baseline);
  return rows;
}

/**
 * The order of a row's runs, as indexes into `sizes`: each size runs until
 * `eventsPerCell` events and at least MIN_RUNS times, its k-th of n runs at
 * (k + ½) / n of the way through the row, so every size's runs are spread over
 * the row alike (2k, 2k, 10k, 40k, 2k, 2k, … for 10, 3 and 3 runs).
 */
export function schedule(sizes: number[], eventsPerCell: number): number[] {
  const slots = sizes.flatMap((size, i) => {
    const n = Math.max(MIN_RUNS, Math.ceil(eventsPerCell / size));
    return Array.from({ length: n }, (_, k) => ({ i, at: (k + 0.5) / n }));
  });
  return slots.sort((a, b) => a.at - b.at || a.i - b.i).map((s) => s.i);
}

function median(runs: DrainResult[]): DrainResult {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, runs: runs.length };
}
