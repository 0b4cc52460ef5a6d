// When to try a failed delivery again: exponential backoff with jitter (so a
// Flowdock coming back from an outage isn't hit by every worker at once), and a
// cap on attempts after which the row is parked as dead.
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 5 * 60_000, maxAttempts: 12 };

/** Delay before attempt `attempts + 1`, given `attempts` failures so far (≥ 1). */
export function backoffDelay(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
