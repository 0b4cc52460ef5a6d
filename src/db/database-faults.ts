// Recognises the errors that mean "the database can't do its job right now"
// (as opposed to a bug or bad data): a full disk, a read-only or locked
// database, a lost or refused PostgreSQL connection. These are answered with a
// 503 and fix themselves once the cause is gone; everything else stays a 500.
export type DatabaseFaultKind = "full" | "read_only" | "locked" | "unreachable" | "io";

export interface DatabaseFault {
  kind: DatabaseFaultKind;
  /** The driver's code (SQLITE_FULL, 57P01, ECONNREFUSED…), for the log. */
  code: string;
}

const SQLITE: [RegExp, DatabaseFaultKind][] = [
  [/^SQLITE_FULL/, "full"],
  [/^SQLITE_READONLY/, "read_only"],
  [/^SQLITE_(BUSY|LOCKED)/, "locked"],
  [/^SQLITE_(IOERR|CANTOPEN|PERM)/, "io"],
];

// PostgreSQL SQLSTATEs and Node socket errors.
const POSTGRES: [RegExp, DatabaseFaultKind][] = [
  [/^53100$/, "full"], // disk_full
  [/^25006$/, "read_only"], // read_only_sql_transaction (a standby, or default_transaction_read_only)
  [/^(55P03|57014|40P01)$/, "locked"], // lock_not_available, statement timeout, deadlock
  [/^(08\w{3}|57P0[1-4]|53300|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN)$/, "unreachable"],
];

// Prisma's own codes for faults it has already classified.
const PRISMA: Record<string, DatabaseFaultKind> = {
  P1001: "unreachable", // can't reach the database server
  P1002: "unreachable", // reached but timed out
  P1008: "locked", // operation timed out: SQLite's SQLITE_BUSY is reported as this
  P1017: "unreachable", // server closed the connection
  P2024: "unreachable", // timed out fetching a connection from the pool
  P2037: "unreachable", // too many connections
};

const MESSAGES: [RegExp, DatabaseFaultKind][] = [
  [/database or disk is full/i, "full"],
  [/attempt to write a readonly database/i, "read_only"],
  [/database is locked/i, "locked"],
  [/Connection terminated|Client has encountered a connection error|Can't reach database server|connect ECONNREFUSED|timeout exceeded when trying to connect/i, "unreachable"],
];

function codesOf(err: unknown, seen = new Set<unknown>()): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  const visit = (value: unknown) => {
    if (!value || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    const v = value as Record<string, unknown>;
    for (const key of ["code", "originalCode", "errno"]) if (typeof v[key] === "string") codes.push(v[key]);
    for (const key of ["message", "originalMessage"]) if (typeof v[key] === "string") messages.push(v[key]);
    visit(v.cause);
    visit((v.meta as Record<string, unknown> | undefined)?.driverAdapterError);
  };
  visit(err);
  return { codes, messages };
}

// Deadlock victim, serialization failure, and Prisma's name for either: the
// transaction did nothing and can simply run again.
const CONFLICTS = /^(40P01|40001|P2034)$/;

/** Whether `err` means PostgreSQL rolled the transaction back because of another one (see retry-on-conflict.ts). */
export function isTransactionConflict(err: unknown): boolean {
  return codesOf(err).codes.some((code) => CONFLICTS.test(code));
}

export function databaseFaultOf(err: unknown): DatabaseFault | undefined {
  const { codes, messages } = codesOf(err);
  for (const code of codes) {
    for (const [pattern, kind] of [...SQLITE, ...POSTGRES]) if (pattern.test(code)) return { kind, code };
  }
  for (const code of codes) if (PRISMA[code]) return { kind: PRISMA[code], code };
  for (const message of messages) {
    for (const [pattern, kind] of MESSAGES) if (pattern.test(message)) return { kind, code: message.slice(0, 60) };
  }
  return undefined;
}

/** What a person is told, in their words. */
export function describeFault(kind: DatabaseFaultKind): string {
  switch (kind) {
    case "full": return "the disk holding the database is full";
    case "read_only": return "the database is read-only";
    case "locked": return "the database is locked by another process";
    case "unreachable": return "the database server can't be reached";
    case "io": return "the database can't be written";
  }
}
