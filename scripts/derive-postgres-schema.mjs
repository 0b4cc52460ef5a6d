// Writes prisma/postgresql/schema.prisma from the SQLite schema, the source of
// truth: a Prisma schema has one provider, so each database gets its own copy.
// `--check` exits 1 when the committed copy is out of date.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "prisma/sqlite/schema.prisma");
const target = join(root, "prisma/postgresql/schema.prisma");

export function derivePostgresSchema(sqliteSchema) {
  return sqliteSchema
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace('"../../src/db/generated/sqlite"', '"../../src/db/generated/postgresql"')
    .replace(
      "// The app's data model. This SQLite schema is the source of truth:",
      "// GENERATED from prisma/sqlite/schema.prisma by `npm run db:schemas`: edit that file.\n// The app's data model. The SQLite schema is the source of truth:",
    );
}

const wanted = derivePostgresSchema(readFileSync(source, "utf8"));
if (process.argv.includes("--check")) {
  let current = "";
  try { current = readFileSync(target, "utf8"); } catch { /* missing counts as stale */ }
  if (current !== wanted) {
    console.error("prisma/postgresql/schema.prisma is out of date: run `npm run db:schemas`");
    process.exit(1);
  }
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, wanted);
}
