// Abuse limits with rate-limiter-flexible, its counters in our own database
// (RateLimiterPrisma on the RateLimit table) so that every app instance, on
// SQLite or PostgreSQL alike, counts the same attempts.
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import type { RequestHandler } from "express";
import type { Database } from "../db/prisma-client.ts";
import { AppError } from "../errors.ts";

export interface AttemptLimit {
  points: number;
  durationSeconds: number;
}

export interface Limiter {
  /** Counts one attempt for `key`; throws a 429 AppError once the limit is used up. */
  consume(key: string): Promise<void>;
  /** Gives one attempt back (one that turned out fine). */
  refund(key: string): Promise<void>;
  /** Forgets `key`'s attempts (e.g. after a successful sign-in). */
  reset(key: string): Promise<void>;
}

const UNLIMITED: Limiter = { consume: async () => {}, refund: async () => {}, reset: async () => {} };

export function createLimiter(db: Database, name: string, limit: AttemptLimit | null): Limiter {
  if (!limit) return UNLIMITED;
  const limiter = new RateLimiterPrisma({
    storeClient: db,
    tableName: "rateLimit",
    keyPrefix: name,
    points: limit.points,
    duration: limit.durationSeconds,
    // main.ts prunes old counters with the other housekeeping; no timer per limiter.
    clearExpiredByTimeout: false,
  });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw tooManyAttempts(err.msBeforeNext);
        throw err;
      }
    },
    async refund(key) {
      await limiter.reward(key, 1);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

/** A middleware that counts one attempt per request under the key `keyOf` gives. */
export function limitRequests(limiter: Limiter, keyOf: (req: Parameters<RequestHandler>[0]) => string): RequestHandler {
  return async (req, _res, next) => {
    await limiter.consume(keyOf(req));
    next();
  };
}

export function tooManyAttempts(msBeforeNext: number): AppError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError("RATE_LIMITED", `Too many attempts in a short time. Please wait and try again in ${inWords(seconds)}.`, {
    title: "Too many attempts",
    retryAfterSeconds: seconds,
  });
}

function inWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export async function pruneExpiredLimits(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.rateLimit.deleteMany({ where: { expire: { lt: now } } });
  return count;
}
