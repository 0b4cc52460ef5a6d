// The one place the environment is read. Every variable is validated at boot and
// every bad one is named in a single error, so a misconfigured deploy fails fast.
// Development defaults let a fresh clone run with no .env at all.
import { z } from "zod";

const DEV_SESSION_SECRET = "dev-only-session-secret-change-me-in-production";
// A readable 32-byte key: fine on a laptop, refused in production (checked below).
const DEV_TOKEN_KEY = "dev:ZGV2LW9ubHktdG9rZW4ta2V5LWNoYW5nZS1tZS0zMiE=";

const onOff = z.enum(["on", "off"]).transform((v) => v === "on");
const port = z.coerce.number().int().min(0).max(65535);
const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ""));

// "off" or "<max>/<seconds>s", e.g. "30/10s": at most 30 posts per flow token per 10 s.
const rateLimit = z
  .string()
  .regex(/^(off|\d+\/\d+s)$/, 'use "off" or "<posts>/<seconds>s", e.g. "30/10s"')
  .transform((v) => {
    if (v === "off") return null;
    const [max, seconds] = v.slice(0, -1).split("/").map(Number) as [number, number];
    return { max, windowMs: seconds * 1000 };
  });

// "<n><unit>" with s, m, h or d, e.g. "15m" or "7d"; answered in seconds.
const DURATION = /^(\d+)([smhd])$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const toSeconds = (v: string) => {
  const [, n, unit] = DURATION.exec(v)!;
  return Number(n) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
};
const duration = z.string().regex(DURATION, 'use "<n><unit>" with s, m, h or d, e.g. "15m" or "7d"').transform(toSeconds).pipe(z.number().int().positive());

// Abuse limits: "off" or "<attempts>/<duration>", e.g. "10/15m": at most 10 per 15 minutes.
const attemptLimit = z
  .string()
  .regex(/^(off|[1-9]\d{0,5}\/\d+[smhd])$/, 'use "off" or "<attempts>/<duration>", e.g. "10/15m"')
  .transform((v) => {
    if (v === "off") return null;
    const [points, per] = v.split("/") as [string, string];
    return { points: Number(points), durationSeconds: toSeconds(per) };
  });

// "id:base64key,id:base64key": the first key encrypts, all of them decrypt, so keys rotate.
const encryptionKeys = z
  .string()
  .transform((raw, ctx) => {
    const keys = raw.split(",").map((entry) => {
      const [id, b64] = entry.trim().split(":");
      const key = Buffer.from(b64 ?? "", "base64");
      if (!id || key.length !== 32) {
        ctx.addIssue({ code: "custom", message: 'each key is "<id>:<base64 of 32 bytes>"' });
      }
      return { id: id ?? "", key };
    });
    return keys;
  });

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    PORT: port.default(3000),
    // Where both servers (the app and the local Flowdock) listen; see loadConfig for the default.
    HOST: z.string().regex(/^[\w.:-]{1,253}$/, "a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0").optional(),
    APP_BASE_URL: url.optional(),
    DATABASE_URL: z
      .string()
      .regex(/^(file:|postgres(ql)?:\/\/)/, "use file:<path> (SQLite) or postgres://… (PostgreSQL)")
      .default("file:./data/app.db"),
    SESSION_SECRET: z.string().min(32, "at least 32 characters").default(DEV_SESSION_SECRET),
    TOKEN_ENCRYPTION_KEYS: encryptionKeys.prefault(DEV_TOKEN_KEY),
    SESSION_IDLE_TIMEOUT: duration.prefault("7d"),
    SESSION_ABSOLUTE_TIMEOUT: duration.prefault("30d"),
    SIGN_IN_LIMIT_PER_ACCOUNT: attemptLimit.prefault("10/15m"),
    SIGN_IN_LIMIT_PER_CLIENT: attemptLimit.prefault("100/15m"),
    SIGN_UP_LIMIT_PER_CLIENT: attemptLimit.prefault("20/1h"),
    SETUP_LIMIT_PER_USER: attemptLimit.prefault("30/10m"),
    FLOWDOCK_API_URL: url.optional(),
    FLOWDOCK_OAUTH_URL: url.optional(),
    FLOWDOCK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    FLOWDOCK_CLIENT_ID: z.string().min(1).default("reference-integration-dev"),
    FLOWDOCK_CLIENT_SECRET: z.string().min(16, "at least 16 characters").default("dev-only-client-secret-change-me"),
    DELIVERY_WORKER: onOff.prefault("on"),
    DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(12),
    // Renewed every third of it while a post is in flight, so it needn't outlast a request.
    DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
    METRICS_TOKEN: z.string().min(16, "at least 16 characters").optional(),
    WORKER_PORT: port.default(9464),
    WORKER_READY_MAX_DUE_AGE_SECONDS: z.coerce.number().int().positive().default(300),
    SIMULATOR: onOff.prefault("on"),
    SIMULATOR_PORT: port.default(4000),
    SIMULATOR_BASE_URL: url.optional(),
    SIMULATOR_DATABASE: z.string().min(1).default("data/local-flowdock.db"),
    SIMULATOR_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
    SIMULATOR_RATE_LIMIT: rateLimit.prefault("off"),
    SIMULATOR_CONTROL_API: onOff.prefault("off"),
    SIMULATOR_SIGN_IN_LIMIT: attemptLimit.prefault("10/15m"),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== "production") return;
    if (env.SESSION_SECRET === DEV_SESSION_SECRET) {
      ctx.addIssue({ code: "custom", path: ["SESSION_SECRET"], message: "set a secret of your own in production" });
    }
    if (env.TOKEN_ENCRYPTION_KEYS.some((k) => k.id === "dev")) {
      ctx.addIssue({ code: "custom", path: ["TOKEN_ENCRYPTION_KEYS"], message: "the dev key must not be used in production" });
    }
  });

export type Env = z.input<typeof schema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // Empty strings (VAR= in a .env file) mean "not set", so defaults still apply.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`));
  }
  const e = parsed.data;
  const simulatorUrl = e.SIMULATOR_BASE_URL ?? `http://localhost:${e.SIMULATOR_PORT}`;
  const appBaseUrl = e.APP_BASE_URL ?? `http://localhost:${e.PORT}`;
  const flowdockApiUrl = e.FLOWDOCK_API_URL ?? simulatorUrl;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    // Only this machine can reach a laptop's servers unless HOST says otherwise;
    // in production (a container behind a load balancer) every interface.
    host: e.HOST ?? (e.NODE_ENV === "production" ? "0.0.0.0" : "127.0.0.1"),
    appBaseUrl,
    databaseUrl: e.DATABASE_URL,
    sessionSecret: e.SESSION_SECRET,
    session: { idleMs: e.SESSION_IDLE_TIMEOUT * 1000, absoluteMs: e.SESSION_ABSOLUTE_TIMEOUT * 1000 },
    limits: {
      signInPerAccount: e.SIGN_IN_LIMIT_PER_ACCOUNT,
      signInPerClient: e.SIGN_IN_LIMIT_PER_CLIENT,
      signUpPerClient: e.SIGN_UP_LIMIT_PER_CLIENT,
      setupPerUser: e.SETUP_LIMIT_PER_USER,
    },
    tokenEncryptionKeys: e.TOKEN_ENCRYPTION_KEYS,
    flowdock: {
      apiUrl: flowdockApiUrl,
      oauthUrl: e.FLOWDOCK_OAUTH_URL ?? flowdockApiUrl,
      clientId: e.FLOWDOCK_CLIENT_ID,
      clientSecret: e.FLOWDOCK_CLIENT_SECRET,
      timeoutMs: e.FLOWDOCK_TIMEOUT_MS,
    },
    delivery: {
      inProcessWorker: e.DELIVERY_WORKER,
      concurrency: e.DELIVERY_CONCURRENCY,
      maxAttempts: e.DELIVERY_MAX_ATTEMPTS,
      leaseMs: e.DELIVERY_LEASE_SECONDS * 1000,
    },
    metricsToken: e.METRICS_TOKEN,
    worker: {
      port: e.WORKER_PORT,
      readyMaxDueAgeSeconds: e.WORKER_READY_MAX_DUE_AGE_SECONDS,
    },
    simulator: {
      enabled: e.SIMULATOR,
      port: e.SIMULATOR_PORT,
      baseUrl: simulatorUrl,
      databasePath: e.SIMULATOR_DATABASE,
      tokenTtlSeconds: e.SIMULATOR_TOKEN_TTL_SECONDS,
      rateLimit: e.SIMULATOR_RATE_LIMIT,
      controlApi: e.SIMULATOR_CONTROL_API,
      signInLimit: e.SIMULATOR_SIGN_IN_LIMIT,
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;
