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
// copied, which under a steady stream of commits a pass a second rarely
// achieves: in a long `npm run bench` drain the WAL file grew to 2.4 GB, and
// it kept that size afterwards. So once the WAL passes RESTART_FRAMES (SQLite's
// own autocheckpoint size), passes follow each other quickly, each copying only
// what was committed during the last, so that one copies it all while commits
// leave a gap and the next commit starts the WAL over. Writers are never held
// up: a TRUNCATE checkpoint whenever the WAL was large (waiting up to 100 ms
// for writers) took the p99 of "create issue" from 27 to 49 ms while a backlog
// drained, and a RESTART one did not keep up with back-to-back commits either.
// Under such commits the WAL can still grow until they pause; once no commit
// came for a whole interval, a TRUNCATE that doesn't wait (busy_timeout 0,
// nothing left to copy) gives the disk space back.
const THREAD = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 0 });
const pass = (mode) => db.pragma("wal_checkpoint(" + mode + ")")[0];
const sleep = new Int32Array(new SharedArrayBuffer(4));
let quietAt = -1; // the WAL's length when last seen wholly copied
function checkpoint() {
  try {
    let copied = pass("PASSIVE");
    for (let i = 0; copied && copied.log >= workerData.restartFrames && copied.checkpointed < copied.log && i < workerData.catchUpPasses; i++) {
      Atomics.wait(sleep, 0, 0, workerData.catchUpMs);
      copied = pass("PASSIVE");
    }
    const whole = copied && copied.log > 0 && copied.checkpointed === copied.log;
    if (whole && copied.log === quietAt) pass("TRUNCATE");
    quietAt = whole ? copied.log : -1;
  } catch { quietAt = -1; /* busy or gone: next time */ }
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
const CATCH_UP_PASSES = 50;
const CATCH_UP_MS = 5;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `file` every `everyMs`; the caller turns its
 * connection's own checkpoints off, and on again if `onGone` is called (the
 * thread could not open the file or died), so the WAL never grows unchecked.
 */
export function startCheckpointer(file: string, onGone: () => void, everyMs = 1_000): Checkpointer {
  const thread = new Worker(THREAD, { eval: true, workerData: { file, everyMs, restartFrames: RESTART_FRAMES, catchUpPasses: CATCH_UP_PASSES, catchUpMs: CATCH_UP_MS, driver: require.resolve("better-sqlite3") } });
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
