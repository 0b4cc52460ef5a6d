// A delivery worker as its own process (`npm run worker`), so tests can kill it
// the hard way or run several side by side.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

export function spawnWorker(env: Record<string, string>): ChildProcess {
  // Node itself with tsx's loader (not the tsx CLI, which forks a second
  // process that a SIGKILL would leave running).
  const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", SIMULATOR: "off", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return child;
}

export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}
