// A delivery worker as its own process (`npm run worker`), so tests can kill it
// the hard way or run several side by side.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

export function spawnWorker(env: Record<string, string>): ChildProcess {
  // Node itself with tsx's loader (not the tsx CLI, which forks a second
  // process that a SIGKILL would leave running).
  const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: ROOT,
    // WORKER_PORT 0: its health/metrics server on any free port, so several can run side by side.
    env: { ...process.env, LOG_LEVEL: "warn", SIMULATOR: "off", WORKER_PORT: "0", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return child;
}

export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A port free right now, for a worker whose HTTP server a test talks to. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
