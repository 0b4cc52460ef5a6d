// `npm run bench`: the delivery benchmarks. Prints, from one run:
//   decoupling — p50/p99 of "create issue" with 250 ms Flowdock latency, through
//                the outbox vs. posting inline in the request;
//   throughput — events/s through the outbox vs. raw keep-alive POSTs of the same
//                payloads, against the local Flowdock and against a null target
//                (answers 202 at once), with the worker's CPU per event;
//   backlog    — time to drain 10k events queued during an outage;
//   drain      — drain rate against backlog size (2k / 10k / 40k) for three
//                shapes, with and without 200k delivered rows, SQLite and PostgreSQL;
//   database   — SQLite's own cost per delivered event (statements, WAL pages)
//                for the drain's backlog sizes, as built and with a status index;
//   pages      — "create issue" while the in-process worker drains the worst backlog;
//   fan-out    — "create issue" p50/p99 with 1 / 100 / 500 integrations;
//   workers    — PostgreSQL, 1 and 2 worker processes;
//   streaming  — the local Flowdock's Streaming API (bench/streaming.ts).
// `--scale=0.1` shrinks every size (a run of a few minutes); the local Flowdock
// and the null target run in processes of their own.
import os from "node:os";
import { createDeliveryWorker } from "../src/activity-forwarding/create-worker.ts";
import { PagesFirst } from "../src/activity-forwarding/pages-first.ts";
import { outboxRepository } from "../src/activity-forwarding/outbox.repository.ts";
import { databaseKind } from "../src/db/database-url.ts";
import { createTokenCipher } from "../src/crypto/token-cipher.ts";
import { FlowdockClient } from "../src/flowdock-client/flowdock-client.ts";
import { createLogger } from "../src/observability/logger.ts";
import { integrationsRepository } from "../src/sources/integrations.repository.ts";
import { issuesRepository } from "../src/tracker/issues.repository.ts";
import { issuesService } from "../src/tracker/issues.service.ts";
import { projectsRepository } from "../src/tracker/projects.repository.ts";
import { newSource, startApp, startFlowdockProcess, tempDir, type BenchApp, type Flowdock } from "./harness.ts";
import { inlineRecorder } from "./inline-recorder.ts";
import { streamingSection } from "./streaming.ts";
import { startNullTarget, type NullTarget } from "./null-target.ts";
import { addHistory, benchPayload, openBenchDb, postgresUp, recordEvents, serveApp } from "./bench-db.ts";
import { CONCURRENCY, drain, drainTable, MIN_RUNS, SHAPES, shapeOf, type DrainRow, type Shape } from "./drain.ts";
import { rawPosts } from "./raw-posts.ts";
import { createIssues, WARM_UP } from "./create-issues.ts";
import { workerProcesses } from "./worker-processes.ts";
import { databaseCost, FEW_PER_TRIP, MANY_PER_TRIP, type DatabaseCost } from "./database-cost.ts";

const quiet = createLogger({ level: "silent", name: "bench" });
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const scale = Number(args.get("scale") ?? 1);
const sized = (n: number) => Math.max(10, Math.round(n * scale));
// `--only=drain,fan-out` runs some sections (for development; a report is one whole run).
const only = args.get("only")?.split(",");
const wanted = (section: string) => !only || only.includes(section);
const DRAIN_SIZES = [2_000, 10_000, 40_000].map(sized);
const HISTORY = sized(200_000);

async function decoupling(fd: Flowdock, dir: string) {
  await fd.faults("messages", { latencyMs: 250 });
  // As `npm start` runs it: the worker in the app's process, woken after each commit.
  const wake = { worker: undefined as ReturnType<typeof createDeliveryWorker> | undefined };
  // Wired as `npm start` wires them (src/main.ts): the worker lets the pages go first.
  const pagesFirst = new PagesFirst();
  const outboxApp = await startApp(dir, "decoupled", fd, () => ({ onActivityRecorded: () => wake.worker?.nudge() }), pagesFirst);
  const worker = createDeliveryWorker(outboxApp.config, outboxApp.db, quiet, { pagesFirst });
  wake.worker = worker;
  worker.start();
  const decoupled = await createIssues(outboxApp, "outbox", sized(200));
  await worker.stop();
  await outboxApp.close();

  const inlineApp = await startApp(dir, "inline", fd, ({ db, config }) => ({
    recorder: inlineRecorder(new FlowdockClient({ apiUrl: fd.url }), integrationsRepository(db, createTokenCipher(config.tokenEncryptionKeys))),
  }));
  const inline = await createIssues(inlineApp, "inline", sized(200));
  await inlineApp.close();
  await fd.clearFaults();
  return { decoupled, inline };
}

/** Queues `issues × perIssue` events through the domain (one thread per issue). */
async function queueEvents(app: BenchApp, issues: number, perIssue: number) {
  const projects = projectsRepository(app.db);
  const service = issuesService({
    db: app.db, issues: issuesRepository(app.db), projects, recorder: outboxRepository(app.db, databaseKind(app.config.databaseUrl)).recorder,
    links: { issueUrl: (i) => `http://bench.app/issues/${i.number}`, avatarUrl: () => "http://bench.app/avatar.svg", actionUrl: (i, a) => `http://bench.app/flowdock/actions/issues/${i.id}/${a}` },
  });
  const user = await app.db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
  const actor = { id: user.id, name: user.name, email: user.email };
  for (let i = 0; i < issues; i++) {
    const issue = await service.open(actor, app.projectId, { title: `Issue ${i}`, description: "Benchmark", priority: "normal", labels: [], assigneeId: null });
    for (let c = 1; c < perIssue; c++) await service.comment(actor, app.projectId, issue.number, `Comment ${c}`);
  }
  return issues * perIssue;
}

const NULL_TARGET_ROUNDS = 5;

async function throughput(fd: Flowdock, nullTarget: NullTarget, dir: string) {
  const app = await startApp(dir, "throughput", fd);
  const events = await queueEvents(app, sized(200), 10);
  const payloads = (await app.db.outboxEvent.findMany({ orderBy: { id: "asc" }, select: { payload: true } })).map((r) => r.payload);
  const raw = await rawPosts(fd.url, payloads, (await newSource(fd, "raw")).flow_token, CONCURRENCY);
  const outbox = await drain({ kind: "sqlite", db: app.db, config: app.config, projectId: app.projectId, integrationIds: [], close: async () => {} }, events);
  await app.close();

  // The same number of events against a target that costs nothing, in
  // rounds of raw posts then the outbox: one round lasts about a second, and
  // its figures moved by ±20% from run to run (JIT, GC, the machine), so each
  // figure is the median over the rounds, and the CPU's range is shown.
  const rounds: { raw: Awaited<ReturnType<typeof rawPosts>>; outbox: Awaited<ReturnType<typeof drain>> }[] = [];
  for (let round = 0; round < NULL_TARGET_ROUNDS; round++) {
    const bench = await openBenchDb("sqlite", dir, `null-target-${round}`, nullTarget.url);
    await recordEvents(bench, shapeOf("many threads", events));
    const nullRaw = await rawPosts(nullTarget.url, Array.from({ length: events }, (_, i) => benchPayload(`t${i % 500}`)), "null-token", CONCURRENCY);
    rounds.push({ raw: nullRaw, outbox: await drain(bench, events) });
    await bench.close();
  }
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const cpu = rounds.map((r) => r.outbox.cpuMsPerEvent);
  return {
    events, raw, outbox, rounds: rounds.length,
    nullRaw: { perSecond: mid(rounds.map((r) => r.raw.perSecond)), cpuMsPerPost: mid(rounds.map((r) => r.raw.cpuMsPerPost)) },
    nullOutbox: { perSecond: mid(rounds.map((r) => r.outbox.perSecond)), cpuMsPerEvent: mid(cpu), cpuRange: [Math.min(...cpu), Math.max(...cpu)] },
    nullRatio: mid(rounds.map((r) => r.outbox.perSecond / r.raw.perSecond)),
  };
}

async function backlog(fd: Flowdock, dir: string) {
  const app = await startApp(dir, "backlog", fd);
  // The outage: every post fails while 10k events are queued, with a worker running and retrying.
  await fd.faults("messages", { errorRate: 1 });
  const worker = createDeliveryWorker(app.config, app.db, quiet, { concurrency: CONCURRENCY });
  worker.start();
  const queuedAt = performance.now();
  const events = await queueEvents(app, sized(1000), 10);
  const queueMs = performance.now() - queuedAt;
  await worker.stop();
  const outbox = outboxRepository(app.db, "sqlite");
  const started = performance.now();
  await fd.clearFaults();
  const after = createDeliveryWorker(app.config, app.db, quiet, { concurrency: CONCURRENCY });
  after.start();
  while ((await outbox.backlog()) > 0) await new Promise((r) => setTimeout(r, 50));
  const drainMs = performance.now() - started;
  await after.stop();
  await app.close();
  return { events, queueMs, drainMs };
}

/** "Create issue" at 20/s while the in-process worker drains the worst shape with history. */
async function pagesWhileDraining(nullTarget: NullTarget, dir: string) {
  const bench = await openBenchDb("sqlite", dir, "pages", nullTarget.url);
  await addHistory(bench, HISTORY, 10);
  const backlogSize = DRAIN_SIZES[2]!;
  await recordEvents(bench, shapeOf("hot, one after another", backlogSize));
  const holder = { worker: undefined as ReturnType<typeof createDeliveryWorker> | undefined };
  const pagesFirst = new PagesFirst();
  const app = await serveApp(bench, { onActivityRecorded: () => holder.worker?.nudge() }, pagesFirst);
  const requests = sized(400);
  let latency = { p50: 0, p99: 0 };
  // The drain counts the issues' own events too.
  const result = await drain(bench, backlogSize + WARM_UP + requests, async (worker) => {
    holder.worker = worker;
    latency = await createIssues(app, "while draining", requests);
  }, pagesFirst);
  await app.close();
  await bench.close();
  return { backlogSize, latency, result };
}

async function fanOut(nullTarget: NullTarget, dir: string) {
  const rows: { integrations: number; latency: { p50: number; p99: number } }[] = [];
  for (const integrations of [1, 100, 500]) {
    const bench = await openBenchDb("sqlite", dir, `fan-out-${integrations}`, nullTarget.url, integrations);
    const holder = { worker: undefined as ReturnType<typeof createDeliveryWorker> | undefined };
    const pagesFirst = new PagesFirst();
    const app = await serveApp(bench, { onActivityRecorded: () => holder.worker?.nudge() }, pagesFirst);
    holder.worker = createDeliveryWorker(bench.config, bench.db, quiet, { concurrency: CONCURRENCY, pagesFirst });
    holder.worker.start();
    const latency = await createIssues(app, `${integrations} integrations`, sized(200));
    await holder.worker.stop();
    await app.close();
    await bench.close();
    rows.push({ integrations, latency });
  }
  return rows;
}

// What bounds the drain of SQLite: the database's own cost per event for the
// backlog sizes of the drain table, as built and with the index on `status`
// the outbox used to have, and with as many rows a trip as the worker's ready
// rows give it with many threads (see bench/database-cost.ts).
const STATUS_INDEX = `CREATE INDEX "bench_status_idx" ON "OutboxMessage"("status")`;
const COST_VARIANTS: { variant: string; perTrip: number; extra?: string }[] = [
  { variant: `as built, ${FEW_PER_TRIP} a trip`, perTrip: FEW_PER_TRIP },
  { variant: `as built, ${MANY_PER_TRIP} a trip`, perTrip: MANY_PER_TRIP },
  { variant: `status index, ${FEW_PER_TRIP} a trip`, perTrip: FEW_PER_TRIP, extra: STATUS_INDEX },
];
async function databaseCostTable(dir: string) {
  const [small, large] = [DRAIN_SIZES[0]!, DRAIN_SIZES[2]!];
  const rows: { shape: Shape; variant: string; cells: DatabaseCost[] }[] = [];
  for (const shape of ["many threads", "hot, one after another"] as Shape[]) {
    for (const { variant, perTrip, extra } of COST_VARIANTS) {
      const runs: DatabaseCost[] = [];
      for (let i = 0; i < 5; i++) runs.push(await databaseCost(dir, shape, small, HISTORY, perTrip, extra));
      runs.sort((a, b) => a.perSecond - b.perSecond);
      rows.push({ shape, variant, cells: [runs[2]!, await databaseCost(dir, shape, large, HISTORY, perTrip, extra)] });
    }
  }
  return rows;
}

async function drainTables(kind: "sqlite" | "postgresql", nullTarget: NullTarget, dir: string): Promise<DrainRow[]> {
  const rows: DrainRow[] = [];
  for (const history of [0, HISTORY]) {
    const bench = await openBenchDb(kind, dir, `drain-${kind}-${history}`, nullTarget.url);
    rows.push(...(await drainTable(bench, DRAIN_SIZES, history, sized(20_000))));
    await bench.close();
  }
  return rows;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const rate = (n: number) => `${n.toFixed(0)}/s`;
function printDrain(label: string, rows: DrainRow[]) {
  console.log(`drain (${label}): events/s of one worker, concurrency ${CONCURRENCY}, null target; CPU per event; 40k÷2k (target ≥ 0.9×)`);
  console.log(`  each size drained until ${sized(20_000)} events in all and at least ${MIN_RUNS} times, the runs of each size spread over the row; the median run, with the number of runs in brackets`);
  for (const row of rows) {
    const cells = row.results.map((r) => `${String(r.events).padStart(6)}: ${rate(r.perSecond).padStart(7)} ${r.cpuMsPerEvent.toFixed(2)} ms [${r.runs ?? 1}]`).join("  ");
    const ratio = row.results[row.results.length - 1]!.perSecond / row.results[0]!.perSecond;
    console.log(`  ${row.shape.padEnd(23)} ${row.history ? `+${row.history} sent` : "no history"}`.padEnd(50) + `${cells}  ${ratio.toFixed(2)}×`);
  }
  console.log("");
}

const { dir, remove } = tempDir();
const fd = await startFlowdockProcess(dir);
const nullTarget = await startNullTarget();
const pgUp = await postgresUp();
try {
  console.log(`npm run bench${scale !== 1 ? ` -- --scale=${scale}` : ""}   (node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; local Flowdock and null target in processes of their own)\n`);
  if (wanted("decoupling")) {
  const d = await decoupling(fd, dir);
  console.log("decoupling: create issue with 250 ms Flowdock latency, 20 issues/s");
  console.log(`  outbox  p50 ${ms(d.decoupled.p50)}  p99 ${ms(d.decoupled.p99)}`);
  console.log(`  inline  p50 ${ms(d.inline.p50)}  p99 ${ms(d.inline.p99)}`);
  console.log(`  ratio p50 ${(d.decoupled.p50 / d.inline.p50).toFixed(3)}× (target ≤ 0.05×), outbox p99 ${ms(d.decoupled.p99)} (target ≤ 50 ms)\n`);
  }

  if (wanted("throughput")) {
  const t = await throughput(fd, nullTarget, dir);
  console.log(`throughput: ${t.events} events, concurrency ${CONCURRENCY}`);
  console.log(`  local Flowdock: raw keep-alive POSTs ${rate(t.raw.perSecond)}, through the outbox ${rate(t.outbox.perSecond)}, ratio ${(t.outbox.perSecond / t.raw.perSecond).toFixed(2)}× (target ≥ 0.5×)`);
  console.log(`  null target (median of ${t.rounds} rounds): raw keep-alive POSTs ${rate(t.nullRaw.perSecond)} (client CPU ${t.nullRaw.cpuMsPerPost.toFixed(2)} ms/post), through the outbox ${rate(t.nullOutbox.perSecond)}, ratio ${t.nullRatio.toFixed(2)}× (target ≥ 0.6×)`);
  console.log(`  worker CPU per delivered event (process CPU time): ${t.nullOutbox.cpuMsPerEvent.toFixed(3)} ms against the null target (rounds ${t.nullOutbox.cpuRange.map((c) => c.toFixed(3)).join("–")}; target ≤ 0.5 ms), ${t.outbox.cpuMsPerEvent.toFixed(3)} ms against the local Flowdock\n`);
  }

  if (wanted("backlog")) {
  const b = await backlog(fd, dir);
  console.log(`backlog: ${b.events} events queued during an outage (${(b.queueMs / 1000).toFixed(1)} s, every post failing)`);
  console.log(`  drained after recovery in ${(b.drainMs / 1000).toFixed(1)} s (${(b.events / (b.drainMs / 1000)).toFixed(0)} events/s)\n`);
  }

  if (wanted("drain")) printDrain("SQLite", await drainTables("sqlite", nullTarget, dir));
  if (!wanted("drain")) { /* skipped */ } else if (pgUp) printDrain("PostgreSQL, no statistics gathered", await drainTables("postgresql", nullTarget, dir));
  else console.log("drain (PostgreSQL): SKIPPED, no server at BENCH_POSTGRES_URL\n");

  if (wanted("database")) {
  const rows = await databaseCostTable(dir);
  console.log(`database cost (SQLite, +${HISTORY} sent): the worker's statements alone, rows acknowledged and claimed a trip as shown; µs per event (acknowledge + promote + claim + commit) and WAL pages written per event; 40k÷2k rate (the 2k cell a median of 5)`);
  for (const r of rows) {
    const cell = (c: DatabaseCost) => `${String(c.events).padStart(5)}: ${(c.us.acknowledge + c.us.promote + c.us.claim + c.us.commit).toFixed(0).padStart(4)} µs (${c.us.acknowledge.toFixed(0)}+${c.us.promote.toFixed(0)}+${c.us.claim.toFixed(0)}+${c.us.commit.toFixed(0)}) ${c.walPagesPerEvent.toFixed(1)} pages`;
    console.log(`  ${r.shape.padEnd(23)} ${r.variant.padEnd(24)} ${cell(r.cells[0]!)}   ${cell(r.cells[1]!)}   ${(r.cells[1]!.perSecond / r.cells[0]!.perSecond).toFixed(2)}×`);
  }
  console.log("");
  }

  if (wanted("pages")) {
  const p = await pagesWhileDraining(nullTarget, dir);
  console.log(`pages while delivering: create issue at 20/s while the in-process worker drains ${p.backlogSize} events (${SHAPES[2]}, +${HISTORY} sent), SQLite`);
  console.log(`  p50 ${ms(p.latency.p50)}  p99 ${ms(p.latency.p99)} (target p99 ≤ 50 ms); the drain ran at ${rate(p.result.perSecond)}\n`);
  }

  if (wanted("fan-out")) {
  const f = await fanOut(nullTarget, dir);
  console.log("fan-out: create issue at 20/s, worker in process (as npm start), null target, SQLite");
  for (const r of f) console.log(`  ${String(r.integrations).padStart(3)} integrations  p50 ${ms(r.latency.p50)}  p99 ${ms(r.latency.p99)} (target p99 ≤ 50 ms)`);
  console.log("");
  }

  if (!wanted("workers")) { /* skipped */ } else if (pgUp) {
    const events = sized(10_000);
    console.log(`workers: PostgreSQL, ${events} events (many threads), worker processes (npm run worker), concurrency ${CONCURRENCY} each, null target`);
    for (const n of [1, 2]) {
      const bench = await openBenchDb("postgresql", dir, `workers-${n}`, nullTarget.url);
      const r = await workerProcesses(bench, n, () => recordEvents(bench, shapeOf("many threads", events)), events);
      await bench.close();
      console.log(`  ${n} worker${n > 1 ? "s" : " "}  ${rate(r.perSecond)}`);
    }
  } else {
    console.log("workers (PostgreSQL): SKIPPED, no server at BENCH_POSTGRES_URL");
  }
  if (wanted("streaming")) await streamingSection(fd, scale);
} finally {
  await nullTarget.stop();
  await fd.stop();
  remove();
}
