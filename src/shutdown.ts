// Graceful shutdown on SIGINT/SIGTERM: stop taking work, finish what is under
// way, close storage; exit anyway if that takes too long.
import type { Logger } from "./observability/logger.ts";

const GRACE_MS = 10_000;

export function onShutdown(logger: Logger, closers: (() => Promise<void>)[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, GRACE_MS);
    timer.unref();
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, "error while shutting down");
      }
    }
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}
