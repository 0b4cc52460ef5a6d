// The Streaming API section of `npm run bench`: post-to-receive latency with
// 100 streams listening to acme/main (each post timed until every stream has
// it), and the local Flowdock's memory per idle stream with 1,000 open (its
// resident set before and after opening them, in its own process).
import fs from "node:fs";
import http from "node:http";
import { newSource, type Flowdock } from "./harness.ts";

interface Listener { req: http.ClientRequest; onText: (fn: (chunk: string) => void) => void }

async function openStreams(fd: Flowdock, token: string, count: number): Promise<Listener[]> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const open = () => new Promise<Listener>((resolve, reject) => {
    const req = http.get(`${fd.url}/flows?filter=acme/main`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      res.setEncoding("utf8");
      res.on("error", () => {});
      const handlers: ((chunk: string) => void)[] = [];
      res.on("data", (chunk: string) => { for (const h of handlers) h(chunk); });
      resolve({ req, onText: (fn) => handlers.push(fn) });
    });
    req.on("error", reject);
  });
  const listeners: Listener[] = [];
  // In batches, so the server's accept queue never overflows.
  for (let i = 0; i < count; i += 100) listeners.push(...await Promise.all(Array.from({ length: Math.min(100, count - i) }, open)));
  return listeners;
}

function closeAll(listeners: Listener[]) {
  for (const l of listeners) {
    l.req.on("error", () => {});
    l.req.destroy();
  }
}

function residentBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function latency(fd: Flowdock, token: string, posts: number, perSecond: number) {
  const source = await newSource(fd, "Streaming bench");
  const listeners = await openStreams(fd, token, 100);
  const sentAt = new Map<number, number>();
  const waiting = new Map<number, { left: number; done: () => void }>();
  const samples: number[] = [];
  for (const l of listeners) {
    l.onText((chunk) => {
      for (const m of chunk.matchAll(/"title":"bench (\d+)"/g)) {
        const n = Number(m[1]);
        samples.push(performance.now() - sentAt.get(n)!);
        const w = waiting.get(n)!;
        if (--w.left === 0) w.done();
      }
    });
  }
  const all: Promise<void>[] = [];
  for (let n = 0; n < posts; n++) {
    all.push(new Promise((done) => waiting.set(n, { left: listeners.length, done })));
    sentAt.set(n, performance.now());
    const res = await fetch(`${fd.url}/messages`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ flow_token: source.flow_token, event: "activity", title: `bench ${n}`, author: { name: "Bench" }, external_thread_id: `bench:${n % 20}`, thread: { title: "Bench" } }),
    });
    if (res.status !== 202) throw new Error(`post answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 1000 / perSecond));
  }
  await Promise.all(all);
  closeAll(listeners);
  const sorted = samples.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { posts, deliveries: sorted.length, p50: at(0.5), p99: at(0.99) };
}

async function idleMemory(fd: Flowdock, token: string, count: number) {
  await new Promise((r) => setTimeout(r, 500));
  const before = residentBytes(fd.pid);
  const listeners = await openStreams(fd, token, count);
  await new Promise((r) => setTimeout(r, 1000));
  const after = residentBytes(fd.pid);
  closeAll(listeners);
  return { count, perStreamBytes: (after - before) / count };
}

/** Runs the section and prints it (the hook `bench/run.ts` calls). */
export async function streamingSection(fd: Flowdock, scale = 1): Promise<void> {
  const token = await fd.userToken();
  const l = await latency(fd, token, Math.round(200 * scale), 20);
  console.log(`streaming: post-to-receive, 100 JSON streams on acme/main, ${l.posts} posts at 20/s (${l.deliveries} deliveries)`);
  console.log(`  p50 ${l.p50.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms`);
  const m = await idleMemory(fd, token, 1000);
  console.log(`  memory per idle stream with ${m.count} open: ${(m.perStreamBytes / 1024).toFixed(1)} KiB (local Flowdock's resident set)\n`);
}
