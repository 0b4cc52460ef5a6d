// The local Flowdock's brute-force limit on one account's sign-ins, shared by its
// sign-in page and the OAuth password grant: rate-limiter-flexible's SQLite
// store on the local Flowdock's own better-sqlite3 database.
import { RateLimiterRes, RateLimiterSQLite } from "rate-limiter-flexible";
import { sha256 } from "../crypto/random.ts";
import type { SqliteDatabase } from "./store/database.ts";

export interface SignInLimitSettings {
  points: number;
  durationSeconds: number;
}

export interface SignInLimit {
  /** Counts an attempt for the account; the seconds to wait when it is refused, else null. */
  attempt(email: string): Promise<number | null>;
  /** A successful sign-in clears the account's count. */
  succeeded(email: string): Promise<void>;
}

export function createSignInLimit(db: SqliteDatabase, settings: SignInLimitSettings | null): SignInLimit {
  if (!settings) return { attempt: async () => null, succeeded: async () => {} };
  const limiter = new RateLimiterSQLite({
    storeClient: db,
    storeType: "better-sqlite3",
    tableName: "rate_limits",
    tableCreated: true,
    keyPrefix: "sign-in",
    points: settings.points,
    duration: settings.durationSeconds,
    clearExpiredByTimeout: false,
  });
  const key = (email: string) => sha256(email.trim().toLowerCase());
  return {
    async attempt(email) {
      try {
        await limiter.consume(key(email));
        return null;
      } catch (err) {
        if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw err;
      }
    },
    async succeeded(email) {
      await limiter.delete(key(email));
    },
  };
}
