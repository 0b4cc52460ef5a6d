// Whether the database can take a write right now, for /readyz. A plain
// `SELECT 1` kept answering on a full disk, so for SQLite the probe also writes
// a small file beside the database (a full or read-only filesystem refuses it),
// checks the database files are writable, and takes the write lock for a moment
// (another process holding it for longer than a request can wait shows up as
// "locked"). For PostgreSQL it asks the server whether it takes writes at all.
import fs from "node:fs/promises";
import path from "node:path";
import Sqlite from "better-sqlite3";
import type { Database } from "./prisma-client.ts";
import { databaseKind, sqliteFilePath } from "./database-url.ts";
import { databaseFaultOf, describeFault, type DatabaseFaultKind } from "./database-faults.ts";

export type Readiness = { ready: true } | { ready: false; kind: DatabaseFaultKind; reason: string };

const PROBE_BYTES = 64 * 1024;
const LOCK_WAIT_MS = 1_000;

class Fault extends Error {
  constructor(readonly kind: DatabaseFaultKind, cause?: unknown) {
    super(describeFault(kind), { cause });
  }
}

function fileFault(err: unknown): Fault {
  const code = (err as NodeJS.ErrnoException).code;
  return new Fault(code === "ENOSPC" || code === "EDQUOT" ? "full" : code === "EROFS" || code === "EACCES" || code === "EPERM" ? "read_only" : "io", err);
}

async function probeSqliteFiles(file: string): Promise<void> {
  const probe = path.join(path.dirname(file), `.${path.basename(file)}.ready-probe-${process.pid}`);
  try {
    await fs.writeFile(probe, Buffer.alloc(PROBE_BYTES));
  } catch (err) {
    throw fileFault(err);
  } finally {
    await fs.rm(probe, { force: true });
  }
  for (const f of [file, `${file}-wal`]) {
    await fs.access(f, fs.constants.W_OK).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw fileFault(err);
    });
  }
}

function probeSqliteLock(file: string): void {
  const conn = new Sqlite(file, { timeout: LOCK_WAIT_MS, fileMustExist: true });
  try {
    conn.exec("BEGIN IMMEDIATE");
    conn.exec("ROLLBACK");
  } finally {
    conn.close();
  }
}

export function databaseReadiness(db: Database, url: string): () => Promise<Readiness> {
  const sqliteFile = databaseKind(url) === "sqlite" ? sqliteFilePath(url) : null;
  return async () => {
    try {
      await db.$queryRaw`SELECT 1`;
      if (sqliteFile && sqliteFile !== ":memory:") {
        await probeSqliteFiles(sqliteFile);
        probeSqliteLock(sqliteFile);
      } else if (!sqliteFile) {
        const [row] = await db.$queryRaw<{ readOnly: string }[]>`SELECT current_setting('transaction_read_only') AS "readOnly"`;
        if (row?.readOnly === "on") throw new Fault("read_only");
      }
      return { ready: true };
    } catch (err) {
      const kind = err instanceof Fault ? err.kind : (databaseFaultOf(err)?.kind ?? "unreachable");
      return { ready: false, kind, reason: describeFault(kind) };
    }
  };
}
