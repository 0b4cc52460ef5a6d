// The worker that `npm start` runs in process shares one event loop (and, on
// SQLite, one connection) with the pages. Delivering is background work with
// seconds to spare; a page is someone waiting. So while a request is being
// answered, that worker starts no new database trip or fan-out (posts already
// under way still finish): measured with `npm run bench` (fan-out), a project
// with 500 flows otherwise kept "create issue" waiting behind delivery work.
// It never waits longer than `maxMs` per step, so a steady stream of requests
// slows delivery down but cannot stop it. A worker on its own (`npm run worker`)
// has no pages to wait for and doesn't use this.
import type http from "node:http";

export class PagesFirst {
  private active = 0;
  private waiting: (() => void)[] = [];

  /** Counts the requests `server` is answering. */
  watch(server: http.Server): void {
    server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
      this.active++;
      res.once("close", () => {
        this.active--;
        if (this.active === 0) for (const resume of this.waiting.splice(0)) resume();
      });
    });
  }

  /** Resolves when no request is being answered, or after `maxMs` at the latest. */
  quiet(maxMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve();
      }, maxMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiting.push(done);
    });
  }
}
