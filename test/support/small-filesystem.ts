// A tiny filesystem of its own (a tmpfs mounted by the test) that can be filled
// to the last byte and emptied again, to see what the app does on a full disk.
// Mounting needs root; where it is not allowed, `mountSmallFilesystem` answers
// null and says so loudly, and the tests that need it are skipped.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface SmallFilesystem {
  dir: string;
  /** Writes a filler file until the filesystem has no byte left. */
  fill(): void;
  /** Deletes the filler: the space is back. */
  free(): void;
  unmount(): void;
}

export function mountSmallFilesystem(sizeKb = 1024): SmallFilesystem | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "small-fs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", dir], { stdio: "pipe" });
  } catch (err) {
    fs.rmdirSync(dir);
    console.warn(`\n*** Disk-full tests SKIPPED: cannot mount a small tmpfs here (${String((err as Error).message).split("\n")[0]}); they need root. ***\n`);
    return null;
  }
  const filler = path.join(dir, "filler");
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, "a");
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      fs.rmdirSync(dir);
    },
  };
}
