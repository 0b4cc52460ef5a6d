// `npm run worker` processes on one PostgreSQL database: started and ready
// first, then the backlog committed in one transaction, then timed until every
// event was sent.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort } from "./harness.ts";
import type { BenchDb } from "./bench-db.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

export async function workerProcesses(bench: BenchDb, count: number, queue: () => Promise<void>, events: number): Promise<{ perSecond: number }> {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
        env: {
          ...process.env, DATABASE_URL: bench.config.databaseUrl, FLOWDOCK_API_URL: bench.config.flowdock.apiUrl, LOG_LEVEL: "info",
          SIMULATOR: "off", DELIVERY_CONCURRENCY: "8", WORKER_PORT: String(await freePort()), NODE_ENV: "test",
        },
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        let seen = "";
        child.stdout!.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes("delivery worker running")) resolve();
        });
        child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
      });
      child.stdout!.resume();
    }
    const started = performance.now();
    await queue();
    while ((await bench.db.outboxMessage.count({ where: { status: "sent" } })) < events) await new Promise((r) => setTimeout(r, 50));
    return { perSecond: events / ((performance.now() - started) / 1000) };
  } finally {
    for (const child of children) {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
    }
  }
}
