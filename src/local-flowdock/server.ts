// Starts the local Flowdock on a port (0 = any free one, for tests) and answers
// its URL, its store and a close function. Used by `npm start`,
// `npm run simulator` and the tests alike.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createStore, type Store } from "./store/store.ts";
import { ACTION_TIMEOUT_MS } from "./actions/send-action.ts";
import { createLocalFlowdockApp } from "./app.ts";
import { Faults } from "./control/faults.ts";
import { RateLimiter, type RateLimit } from "./control/rate-limiter.ts";
import { seedDirectory, syncIntegrationApplication, type IntegrationRegistration } from "./seed.ts";
import type { SimulatorContext } from "./context.ts";
import { createSignInLimit, type SignInLimitSettings } from "./sign-in-limit.ts";
import type { Logger } from "../observability/logger.ts";
import { StreamHub } from "./streaming/stream-hub.ts";

export interface LocalFlowdockOptions {
  port: number;
  host?: string;
  /** Public base URL; default http://localhost:<port>. */
  baseUrl?: string;
  databasePath: string;
  tokenTtlSeconds?: number;
  codeTtlSeconds?: number;
  /** How long a pressed thread action waits for the integration's answer (default 10 s). */
  actionTimeoutMs?: number;
  rateLimit?: RateLimit | null;
  controlApi?: boolean;
  /** Sign-in attempts per account (page and password grant); default 10 per 15 minutes, null for none. */
  signInLimit?: SignInLimitSettings | null;
  sessionSecret: string;
  /** The app's own registration, kept in line with its config at every start. */
  integration?: IntegrationRegistration;
  logger: Logger;
  random?: () => number;
  /** How often open streams get a keep-alive newline (default 5 s). */
  streamKeepAliveMs?: number;
  /** How many flow events the Streaming API keeps for resuming clients (default 10,000). */
  eventRetention?: number;
}

export interface LocalFlowdock {
  url: string;
  /** Where it listens (host and port). */
  address: AddressInfo;
  store: Store;
  ctx: SimulatorContext;
  close: () => Promise<void>;
}

export async function startLocalFlowdock(options: LocalFlowdockOptions): Promise<LocalFlowdock> {
  // Tests move the clock forward (POST /_simulator/clock) to expire tokens and codes.
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  const store = createStore(options.databasePath, now, { eventRetention: options.eventRetention });
  let baseUrl = options.baseUrl ?? "";

  const seed = async () => {
    await seedDirectory(store);
    if (options.integration) syncIntegrationApplication(store, options.integration);
  };
  await seed();

  const ctx: SimulatorContext = {
    store,
    now,
    baseUrl: () => baseUrl,
    faults: new Faults(options.random),
    rateLimiter: new RateLimiter(options.rateLimit ?? null, now),
    signInLimit: createSignInLimit(store.db, options.signInLimit === undefined ? { points: 10, durationSeconds: 900 } : options.signInLimit),
    options: {
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      codeTtlSeconds: options.codeTtlSeconds ?? 120,
      actionTimeoutMs: options.actionTimeoutMs ?? ACTION_TIMEOUT_MS,
      controlApi: options.controlApi ?? false,
      sessionSecret: options.sessionSecret,
    },
    logger: options.logger,
    sourceUpdates: [],
    streams: new StreamHub(store, () => baseUrl, now, options.streamKeepAliveMs),
  };

  const app = createLocalFlowdockApp(ctx, {
    async reset() {
      ctx.faults.clear();
      ctx.faults.releaseHanging();
      ctx.rateLimiter.configure(options.rateLimit ?? null);
      ctx.sourceUpdates.length = 0;
      clockOffset = 0;
      store.wipe();
      await seed();
    },
    advanceClock(ms) {
      clockOffset += ms;
    },
    checkReady() {
      store.db.prepare("SELECT 1").get();
    },
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const { port } = address;
  baseUrl ||= `http://localhost:${port}`;

  return {
    url: baseUrl,
    address,
    store,
    ctx,
    async close() {
      ctx.faults.releaseHanging();
      // Open streams never finish by themselves: end them, or close would wait forever.
      ctx.streams.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      store.close();
    },
  };
}
