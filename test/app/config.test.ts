// The environment, validated at boot: development defaults for a fresh clone,
// and every bad variable named in one error.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("configuration", () => {
  it("when nothing is set, a fresh clone gets working development defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development", port: 3000, appBaseUrl: "http://localhost:3000", databaseUrl: "file:./data/app.db",
      flowdock: { apiUrl: "http://localhost:4000", oauthUrl: "http://localhost:4000", clientId: "reference-integration-dev", timeoutMs: 10_000 },
      simulator: { enabled: true, port: 4000, rateLimit: null, controlApi: false },
      delivery: { inProcessWorker: true, concurrency: 8, maxAttempts: 12, leaseMs: 10_000 },
    });
    expect(config.tokenEncryptionKeys[0]!.key).toHaveLength(32);
  });

  it("when several variables are wrong, one error names every one of them", () => {
    const found = problems({ PORT: "eighty", DATABASE_URL: "mysql://x", FLOWDOCK_API_URL: "not a url", SESSION_SECRET: "short", TOKEN_ENCRYPTION_KEYS: "k1:c2hvcnQ=", SIMULATOR: "maybe" });
    for (const name of ["PORT", "DATABASE_URL", "FLOWDOCK_API_URL", "SESSION_SECRET", "TOKEN_ENCRYPTION_KEYS", "SIMULATOR"]) {
      expect(found.some((p) => p.startsWith(`${name}:`)), name).toBe(true);
    }
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/Invalid configuration:\n {2}- PORT/);
  });

  it("when running in production, the development secrets are refused", () => {
    const found = problems({ NODE_ENV: "production" });
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^SESSION_SECRET:/), expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS:/)]));
  });

  it("when keys rotate, several are accepted and the first one encrypts", () => {
    const a = Buffer.alloc(32, 1).toString("base64");
    const b = Buffer.alloc(32, 2).toString("base64");
    expect(loadConfig({ TOKEN_ENCRYPTION_KEYS: `new:${a}, old:${b}` }).tokenEncryptionKeys.map((k) => k.id)).toEqual(["new", "old"]);
  });

  it("when the local Flowdock's rate limit is given, it reads as posts per window", () => {
    expect(loadConfig({ SIMULATOR_RATE_LIMIT: "30/10s" }).simulator.rateLimit).toEqual({ max: 30, windowMs: 10_000 });
    expect(problems({ SIMULATOR_RATE_LIMIT: "fast" })[0]).toMatch(/^SIMULATOR_RATE_LIMIT:/);
  });

  it("when a variable is set but empty, the default applies", () => {
    expect(loadConfig({ PORT: "", LOG_LEVEL: "" }).port).toBe(3000);
  });

  it("when a delivery lease is shorter than a Flowdock request may take, it is accepted (the worker renews it while the post is in flight), and a lease under a second is refused", () => {
    expect(problems({ DELIVERY_LEASE_SECONDS: "5", FLOWDOCK_TIMEOUT_MS: "10000" })).toEqual([]);
    expect(problems({ DELIVERY_LEASE_SECONDS: "0" })[0]).toMatch(/^DELIVERY_LEASE_SECONDS:/);
  });
});
