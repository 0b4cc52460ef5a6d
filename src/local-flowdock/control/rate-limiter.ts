// Posting limit per flow token: at most `max` posts per window. The hosted docs
// name no number, so it is configuration (SIMULATOR_RATE_LIMIT), off by default.
export interface RateLimit { max: number; windowMs: number }

export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(private limit: RateLimit | null, private readonly now: () => number) {}

  configure(limit: RateLimit | null): void {
    this.limit = limit;
    this.windows.clear();
  }

  current(): RateLimit | null {
    return this.limit;
  }

  /** Counts one post; answers when to retry if it is over the limit. */
  take(key: string): { retryAfterSeconds: number } | null {
    if (!this.limit) return null;
    const at = this.now();
    let window = this.windows.get(key);
    if (!window || at - window.start >= this.limit.windowMs) {
      if (this.windows.size > 10_000) this.sweep(at);
      window = { start: at, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= this.limit.max) {
      return { retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.limit.windowMs - at) / 1000)) };
    }
    window.count++;
    return null;
  }

  private sweep(at: number): void {
    for (const [key, w] of this.windows) if (at - w.start >= this.limit!.windowMs) this.windows.delete(key);
  }
}
