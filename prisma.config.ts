// Prisma CLI configuration. The JavaScript schema engine runs migrations through
// the same driver adapters as the app, so the CLI never downloads a native engine
// (see ../shared/prisma-offline.md). DATABASE_URL picks the schema folder.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

const DEFAULT_DATABASE_URL = "file:./data/app.db";
const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
// Prisma resolves env("DATABASE_URL") in the schema; without a value it falls back
// to downloading the native engine, so always provide one.
process.env.DATABASE_URL = url;
const postgres = /^postgres(ql)?:\/\//.test(url);

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: postgres ? "prisma/postgresql/schema.prisma" : "prisma/sqlite/schema.prisma",
  async adapter() {
    if (postgres) return new PrismaPg({ connectionString: url });
    return new PrismaBetterSQLite3({ url: path.resolve(url.replace(/^file:/, "")) });
  },
});
