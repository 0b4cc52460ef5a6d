// `npm run bench`: the delivery benchmarks, against the local Flowdock run as a
// separate process. Prints, from one run:
//   decoupling — p50/p99 of "create issue" with 250 ms Flowdock latency, through
//                the outbox vs. posting inline in the request;
//   throughput — events/s delivered through the outbox vs. raw keep-alive POSTs of
//                the same payloads at the same concurrency;
//   backlog    — time to drain 10k events queued during an outage.
import crypto from "node:crypto";
import os from "node:os";
import { createDeliveryWorker } from "../src/activity-forwarding/create-worker.ts";
import { outboxRepository } from "../src/activity-forwarding/outbox.repository.ts";
import { databaseKind } from "../src/db/database-url.ts";
import { createTokenCipher } from "../src/crypto/token-cipher.ts";
import { FlowdockClient } from "../src/flowdock-client/flowdock-client.ts";
import { createLogger } from "../src/observability/logger.ts";
import { integrationsRepository } from "../src/sources/integrations.repository.ts";
import { issuesRepository } from "../src/tracker/issues.repository.ts";
import { issuesService } from "../src/tracker/issues.service.ts";
import { projectsRepository } from "../src/tracker/projects.repository.ts";
import { newSource, signIn, startApp, startFlowdockProcess, tempDir, type BenchApp, type Flowdock } from "./harness.ts";
import { inlineRecorder } from "./inline-recorder.ts";
import { streamingSection } from "./streaming.ts";

const CONCURRENCY = 8;
const quiet = createLogger({ level: "silent", name: "bench" });
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const scale = Number(args.get("scale") ?? 1);

// People opening issues at a steady rate (an open loop: a request starts every
// 1/rate seconds whether or not earlier ones have answered), so the numbers are
// the latency of the action itself, not of a saturated server. (autocannon's
// fixed-rate mode reports latencies below Flowdock's own delay, so we time each
// request ourselves.)
async function createIssues(app: BenchApp, label: string, perSecond = 20): Promise<{ p50: number; p99: number }> {
  const { cookie, csrf } = await signIn(app.url);
  const body = new URLSearchParams({ _csrf: csrf, title: "Benchmark issue", description: "Opened by npm run bench", priority: "normal" }).toString();
  const total = Math.round(200 * scale);
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

async function decoupling(fd: Flowdock, dir: string) {
  await fd.faults("messages", { latencyMs: 250 });
  // As `npm start` runs it: the worker in the app's process, woken after each commit.
  const wake = { worker: undefined as ReturnType<typeof createDeliveryWorker> | undefined };
  const outboxApp = await startApp(dir, "decoupled", fd, () => ({ onActivityRecorded: () => wake.worker?.nudge() }));
  const worker = createDeliveryWorker(outboxApp.config, outboxApp.db, quiet);
  wake.worker = worker;
  worker.start();
  const decoupled = await createIssues(outboxApp, "outbox");
  await worker.stop();
  await outboxApp.close();

  const inlineApp = await startApp(dir, "inline", fd, ({ db, config }) => ({
    recorder: inlineRecorder(new FlowdockClient({ apiUrl: fd.url }), integrationsRepository(db, createTokenCipher(config.tokenEncryptionKeys))),
  }));
  const inline = await createIssues(inlineApp, "inline");
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

async function drain(app: BenchApp, onStart?: () => Promise<void>): Promise<number> {
  const worker = createDeliveryWorker(app.config, app.db, quiet, { concurrency: CONCURRENCY });
  const started = performance.now();
  await onStart?.();
  worker.start();
  while ((await app.db.outboxMessage.count({ where: { status: { not: "sent" } } })) > 0) await new Promise((r) => setTimeout(r, 20));
  const elapsed = performance.now() - started;
  await worker.stop();
  return elapsed;
}

async function throughput(fd: Flowdock, dir: string) {
  const app = await startApp(dir, "throughput", fd);
  const events = await queueEvents(app, Math.round(200 * scale), 10);
  const payloads = (await app.db.outboxMessage.findMany({ orderBy: { id: "asc" }, select: { payload: true } })).map((r) => r.payload);

  // Raw: the same payloads, keep-alive POSTs, same concurrency, no outbox.
  const raw = await newSource(fd, "raw");
  let next = 0;
  const rawStart = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < payloads.length) {
      const body = { ...JSON.parse(payloads[next++]!), uuid: crypto.randomUUID(), flow_token: raw.flow_token };
      const res = await fetch(`${fd.url}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (res.status !== 202) throw new Error(`raw post: ${res.status}`);
      await res.arrayBuffer();
    }
  }));
  const rawMs = performance.now() - rawStart;
  const outboxMs = await drain(app);
  await app.close();
  return { events, rawPerSecond: events / (rawMs / 1000), outboxPerSecond: events / (outboxMs / 1000) };
}

async function backlog(fd: Flowdock, dir: string) {
  const app = await startApp(dir, "backlog", fd);
  // The outage: every post fails while 10k events are queued, with a worker running and retrying.
  await fd.faults("messages", { errorRate: 1 });
  const worker = createDeliveryWorker(app.config, app.db, quiet, { concurrency: CONCURRENCY });
  worker.start();
  const queuedAt = performance.now();
  const events = await queueEvents(app, Math.round(1000 * scale), 10);
  const queueMs = performance.now() - queuedAt;
  await worker.stop();
  const drainMs = await drain(app, () => fd.clearFaults());
  await app.close();
  return { events, queueMs, drainMs };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const { dir, remove } = tempDir();
const fd = await startFlowdockProcess(dir);
try {
  console.log(`npm run bench${scale !== 1 ? ` -- --scale=${scale}` : ""}   (node ${process.version}, ${os.cpus().length} cores, SQLite, local Flowdock in its own process)\n`);
  const d = await decoupling(fd, dir);
  console.log("decoupling: create issue with 250 ms Flowdock latency, 20 issues/s");
  console.log(`  outbox  p50 ${ms(d.decoupled.p50)}  p99 ${ms(d.decoupled.p99)}`);
  console.log(`  inline  p50 ${ms(d.inline.p50)}  p99 ${ms(d.inline.p99)}`);
  console.log(`  ratio p50 ${(d.decoupled.p50 / d.inline.p50).toFixed(3)}× (target ≤ 0.05×), outbox p99 ${ms(d.decoupled.p99)} (target ≤ 50 ms)\n`);

  const t = await throughput(fd, dir);
  console.log(`throughput: ${t.events} events, concurrency ${CONCURRENCY}`);
  console.log(`  raw keep-alive POSTs ${t.rawPerSecond.toFixed(0)} events/s`);
  console.log(`  through the outbox   ${t.outboxPerSecond.toFixed(0)} events/s`);
  console.log(`  ratio ${(t.outboxPerSecond / t.rawPerSecond).toFixed(2)}× (target ≥ 0.5×)\n`);

  const b = await backlog(fd, dir);
  console.log(`backlog: ${b.events} events queued during an outage (${(b.queueMs / 1000).toFixed(1)} s, every post failing)`);
  console.log(`  drained after recovery in ${(b.drainMs / 1000).toFixed(1)} s (${(b.events / (b.drainMs / 1000)).toFixed(0)} events/s)\n`);

  await streamingSection(fd, scale);
} finally {
  await fd.stop();
  remove();
}
