// Whether the worker can reach its database, as seen from its own queries.
// While it can't, the worker waits between tries, doubling the wait up to a
// cap, and the log says so once when the database goes away and once when it
// is back, rather than once per failed query.
import type { Logger } from "../observability/logger.ts";
import { isTransactionConflict } from "../db/database-faults.ts";

export class DatabaseHealth {
  reachable = true;
  private failures = 0;

  constructor(private readonly logger: Logger, private readonly retry: { firstMs: number; maxMs: number }) {}

  /** Runs a query; its failure marks the database unreachable (and returns undefined), its success reachable. */
  async watch<T>(query: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await query();
      this.succeeded();
      return result;
    } catch (err) {
      // Rolled back because of another transaction (a deadlock with a
      // disconnect, say): the server is fine, and the next trip tries again.
      if (isTransactionConflict(err)) this.logger.debug({ err }, "a worker transaction crossed another one; it is tried again");
      else this.failed(err);
      return undefined;
    }
  }

  failed(err: unknown): void {
    this.failures++;
    if (!this.reachable) return;
    this.reachable = false;
    this.logger.error({ err }, "database unreachable: deliveries paused, retrying with backoff");
  }

  succeeded(): void {
    this.failures = 0;
    if (this.reachable) return;
    this.reachable = true;
    this.logger.info("database reachable again: deliveries resumed");
  }

  /** How long to wait before the next try. */
  nextWaitMs(): number {
    return Math.min(this.retry.maxMs, this.retry.firstMs * 2 ** Math.max(0, this.failures - 1));
  }
}
