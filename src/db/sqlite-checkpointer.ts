// Moves SQLite's WAL checkpoints off the app's thread.
//
// By default the connection that commits a transaction pushing the WAL past
// 1,000 pages copies the WAL into the database file, inside that COMMIT, while
// the event loop waits. Delivering to many flows writes the WAL fast, so a page
// request's or the worker's COMMIT often took a checkpoint's milliseconds
// (measured with `npm run bench`, fan-out at 500 flows: COMMIT averaged 3.3 ms
// with automatic checkpoints, 0.4 ms without). So the app's connection doesn't
// checkpoint, and a thread of its own, with a connection of its own, runs a
// PASSIVE checkpoint every second: it never blocks readers or writers, and
// copies a page changed many times once. SQLite's documentation suggests this
// arrangement ("wal_autocheckpoint", "Checkpoint starvation").
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const require = createRequire(import.meta.url);

// A PASSIVE checkpoint copies the WAL up to where it was when it began, but
// the WAL starts over from its beginning only when a writer finds it wholly
// copied, which under a steady stream of commits never happens: measured with
// `npm run bench` (drain), the WAL grew to 2.4 GB and every drain after the
// first ran slower. So once the WAL passes RESTART_FRAMES (SQLite's own
// autocheckpoint size), or once it is wholly copied, a TRUNCATE checkpoint
// empties it: it waits up to BLOCK_MS for a moment without readers and writers
// and holds new writers off only for what is left to copy, which the PASSIVE
// checkpoint just before has made little.
const THREAD = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 0 });
const pass = (mode) => db.pragma("wal_checkpoint(" + mode + ")")[0];
function checkpoint() {
  try {
    const copied = pass("PASSIVE");
    if (!copied || copied.log <= 0 || (copied.log < workerData.restartFrames && copied.checkpointed < copied.log)) return;
    db.pragma("busy_timeout = " + workerData.blockMs);
    try { pass("TRUNCATE"); } finally { db.pragma("busy_timeout = 0"); }
  } catch { /* busy or gone: next time */ }
}
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;
const RESTART_FRAMES = 1_000;
const BLOCK_MS = 100;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `file` every `everyMs`; the caller turns its
 * connection's own checkpoints off, and on again if `onGone` is called (the
 * thread could not open the file or died), so the WAL never grows unchecked.
 */
export function startCheckpointer(file: string, onGone: () => void, everyMs = 1_000): Checkpointer {
  const thread = new Worker(THREAD, { eval: true, workerData: { file, everyMs, restartFrames: RESTART_FRAMES, blockMs: BLOCK_MS, driver: require.resolve("better-sqlite3") } });
  thread.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) => thread.once("exit", () => {
    if (!stopping) onGone();
    resolve();
  }));
  thread.on("error", () => { /* followed by "exit", which hands checkpoints back */ });
  return {
    async stop() {
      stopping = true;
      thread.postMessage("stop");
      await exited;
    },
  };
}
