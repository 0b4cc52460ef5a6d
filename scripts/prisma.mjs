// Runs the Prisma CLI offline. `generate` builds the client of both databases
// (each schema has its own); any other command goes to the schema that
// DATABASE_URL selects in prisma.config.ts.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const args = process.argv.slice(2);

function prisma(argv, env = process.env) {
  const result = spawnSync(process.execPath, [cli, ...argv], { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

mkdirSync("data", { recursive: true });
if (args[0] === "generate") {
  // Generation connects to nothing, but the schema's env("DATABASE_URL") must
  // resolve to a URL of its provider, or Prisma tries to download a native engine.
  const placeholders = { sqlite: "file:./data/app.db", postgresql: "postgresql://localhost/placeholder" };
  for (const [kind, url] of Object.entries(placeholders)) {
    prisma(["generate", "--schema", `prisma/${kind}/schema.prisma`, ...args.slice(1)], { ...process.env, DATABASE_URL: url });
  }
} else {
  prisma(args);
}
