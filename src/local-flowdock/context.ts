// What every part of the local Flowdock shares: its storage, its clock (tests
// move it to expire tokens), its public base URL, and its tunable behaviour.
import type { Logger } from "../observability/logger.ts";
import type { Store } from "./store/store.ts";
import type { Faults } from "./control/faults.ts";
import type { RateLimiter } from "./control/rate-limiter.ts";
import type { SignInLimit } from "./sign-in-limit.ts";
import type { StreamHub } from "./streaming/stream-hub.ts";

export interface SimulatorOptions {
  tokenTtlSeconds: number;
  codeTtlSeconds: number;
  actionTimeoutMs: number;
  controlApi: boolean;
  sessionSecret: string;
}

export interface SimulatorContext {
  store: Store;
  now: () => number;
  baseUrl: () => string;
  faults: Faults;
  rateLimiter: RateLimiter;
  signInLimit: SignInLimit;
  options: SimulatorOptions;
  logger: Logger;
  /** The open Streaming API connections. */
  streams: StreamHub;
  /** Every accepted source update, in order (the control API shows it, so tests can count PUTs). */
  sourceUpdates: { sourceId: number; changes: Record<string, unknown>; at: number }[];
}
