// Sends outbox rows to Flowdock. Bounded concurrency across threads, strict
// order within one (the outbox only hands out the oldest undelivered row of a
// thread), a uuid per message so a retry can never duplicate it, and each
// Flowdock answer mapped to what happens next:
//   2xx → sent · 5xx/timeout/network → backoff, then dead after the cap
//   429 → wait Retry-After · 410 → the source is gone: delete the integration
//   401 → the token is dead: mark the integration broken · 400 → dead at once
// Claims and acknowledgements go to the database together, in batches (one
// transaction acknowledges what was posted since the last one and claims what
// is due), which is most of what keeps the CPU per event low. The worker keeps
// up to `concurrency` claimed rows ready beside the posts under way, so a
// finished post is followed by the next at once and the database is visited
// once per several posts, not once per few: on SQLite, COMMIT alone (writing
// the transaction's pages to the WAL) was a tenth of the worker's CPU at
// about four events a transaction (profiled during drains to a null target;
// `npm run bench`, database cost, shows the statements at four and eight a trip).
import crypto from "node:crypto";
import type { Logger } from "../observability/logger.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { FlowdockError } from "../flowdock-client/flowdock-errors.ts";
import type { IntegrationsRepository } from "../sources/integrations.repository.ts";
import type { ClaimedMessage, OutboxRepository } from "./outbox.repository.ts";
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-policy.ts";
import { SourceErrorReporter, type DeliveryTarget } from "./source-error-reporter.ts";
import { DatabaseHealth } from "./database-health.ts";
import type { SourceStateReconciler } from "../sources/source-state-reconciler.ts";
import type { PagesFirst } from "./pages-first.ts";

// How often the worker looks whether the outbox needs vacuuming (PostgreSQL).
const VACUUM_CHECK_MS = 10_000;
// Longest a step of the worker waits for the pages of its process (pages-first.ts).
const MAX_WAIT_FOR_PAGES_MS = 100;

export type DeliveryOutcome = "sent" | "retry" | "dead" | "gone" | "unauthorized" | "rate_limited";

export interface DeliveryWorkerOptions {
  outbox: OutboxRepository;
  integrations: IntegrationsRepository;
  flowdock: FlowdockClient;
  logger: Logger;
  concurrency?: number;
  /**
   * How long a claimed row stays ours without news from us: renewed every
   * third of it while its post is in flight, so it is also how long a crashed
   * worker's rows wait before another worker takes them over.
   */
  leaseMs?: number;
  /** How often an idle worker looks for new rows. */
  pollMs?: number;
  retry?: RetryPolicy;
  /** Keeps each source's error message and configuration address in Flowdock up to date; runs beside the deliveries. */
  sourceState?: SourceStateReconciler;
  /** Waits between tries while the database can't be reached: doubling from the first to the last. */
  databaseRetry?: { firstMs: number; maxMs: number };
  /** Pages served by the same process (see pages-first.ts): the worker lets them go first. */
  pagesFirst?: Pick<PagesFirst, "quiet">;
  /** Told what became of each delivery attempt (metrics): once per attempt. */
  onOutcome?: (o: { outcome: DeliveryOutcome; queuedAt: Date; integrationId: string }) => void;
}

export class DeliveryWorker {
  readonly id = `worker-${crypto.randomUUID()}`;
  // Posts under way.
  private readonly inFlight = new Set<Promise<void>>();
  // Rows we hold a lease on: ready, posting, or posted and waiting to be acknowledged.
  private readonly leased = new Set<number>();
  // Claimed rows waiting for a free post, oldest first (each is its thread's head).
  private ready: ClaimedMessage[] = [];
  // Integrations Flowdock rate-limited, and until when: a row of theirs that
  // reaches a free post before then (ready, or returned by a claim that was
  // under way when the 429 came) is given back for after the limit, not posted.
  private readonly limited = new Map<string, number>();
  // Posted rows, acknowledged together on the worker's next trip to the database.
  private posted: { row: ClaimedMessage; target: DeliveryTarget }[] = [];
  // Delivery targets (decrypted flow token, reported error), briefly, so a busy
  // thread doesn't read and decrypt one per message.
  private readonly targets = new Map<string, { target: DeliveryTarget; until: number }>();
  private readonly reporter: SourceErrorReporter;
  private readonly health: DatabaseHealth;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private renewal: NodeJS.Timeout | undefined;
  private vacuuming: NodeJS.Timeout | undefined;
  // Fan-out runs when told there is something new, on each poll, and again at once while batches come back full.
  private fanOutWanted = true;
  private lastFanOut = 0;
  private readonly o: Required<Omit<DeliveryWorkerOptions, "outbox" | "integrations" | "flowdock" | "logger" | "sourceState" | "onOutcome" | "pagesFirst">>;

  constructor(private readonly deps: DeliveryWorkerOptions) {
    this.reporter = new SourceErrorReporter(deps.sourceState);
    this.o = {
      concurrency: deps.concurrency ?? 8,
      leaseMs: deps.leaseMs ?? 10_000,
      pollMs: deps.pollMs ?? 100,
      retry: deps.retry ?? DEFAULT_RETRY_POLICY,
      databaseRetry: deps.databaseRetry ?? { firstMs: 200, maxMs: 10_000 },
    };
    this.health = new DatabaseHealth(deps.logger, this.o.databaseRetry);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.sourceState?.start();
    this.renewal = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.renewal.unref();
    this.vacuuming = setInterval(() => void this.vacuum(), VACUUM_CHECK_MS);
    this.vacuuming.unref();
    this.loop = this.run().catch((err: unknown) => {
      this.deps.logger.fatal({ err }, "delivery worker stopped unexpectedly");
      this.running = false;
    });
  }

  /** Stops claiming, waits for the posts under way and acknowledges them. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.release();
    await Promise.allSettled([...this.inFlight]);
    if (this.posted.length > 0) await this.trip(0);
    clearInterval(this.renewal);
    clearInterval(this.vacuuming);
    await this.deps.sourceState?.stop();
  }

  /** Look for work now rather than at the next poll (e.g. right after an event was recorded). */
  nudge(): void {
    this.fanOutWanted = true;
    this.wake?.();
  }

  /**
   * Check the sources' state now (a change that can suspend or resume an
   * integration). Apart from nudge(): a pass reads every integration, and
   * doing one per recorded event cost a project with 500 flows most of its
   * worker's time (measured with `npm run bench`, fan-out).
   */
  nudgeSources(): void {
    this.deps.sourceState?.nudge();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (!this.health.reachable) await this.pause(this.health.nextWaitMs());
      if (!this.running) break;
      await this.deps.pagesFirst?.quiet(MAX_WAIT_FOR_PAGES_MS);
      if (this.fanOutWanted || Date.now() - this.lastFanOut >= this.o.pollMs) await this.fanOut();
      this.startReady();
      // Room for up to `concurrency` rows beyond the posts under way.
      const room = 2 * this.o.concurrency - this.inFlight.size - this.ready.length;
      // Back to the database once the ready rows run low: while they last, the
      // posts keep going and the acknowledgements gather into one trip. A row
      // of a thread is claimed only once the one before it was acknowledged,
      // so with few threads (nothing ready) every post's acknowledgement goes
      // at once, as without the ready rows.
      const lowOnReady = this.lowOnReady();
      const worthClaiming = this.health.reachable && room > 0 && lowOnReady;
      const ackDue = this.posted.length > 0 && (lowOnReady || this.posted.length >= this.o.concurrency);
      let claimed = 0;
      if (worthClaiming || ackDue) {
        await this.deps.pagesFirst?.quiet(MAX_WAIT_FOR_PAGES_MS);
        claimed = await this.trip(worthClaiming ? room : 0);
        this.startReady();
      }
      // A full claim likely left more due rows behind.
      if (this.fanOutWanted || (claimed > 0 && claimed === room && this.lowOnReady())) {
        await new Promise((resolve) => setImmediate(resolve));
      } else {
        // Until a post finishes (the next step may be due then), a nudge, or the next poll.
        await this.pause(this.o.pollMs);
        // Let posts finishing at the same moment join the next trip.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  // One trip to the database: acknowledge what was posted, claim up to `limit` more.
  private async trip(limit: number): Promise<number> {
    const acks = this.posted;
    this.posted = [];
    const claimed = await this.health.watch(() => this.deps.outbox.cycle(this.id, acks.map((a) => a.row.id), limit, this.o.leaseMs));
    if (claimed === undefined) {
      // Tried again on the next trip; if the lease runs out first, the row is
      // sent again with the same uuid, which Flowdock stores once.
      this.posted.unshift(...acks);
      return 0;
    }
    for (const { row, target } of acks) {
      this.leased.delete(row.id);
      void this.reporter.deliverySucceeded(row.integrationId, target).catch((err: unknown) => this.health.failed(err));
    }
    for (const row of claimed) this.leased.add(row.id);
    this.ready.push(...claimed);
    return claimed.length;
  }

  private lowOnReady(): boolean {
    return this.ready.length <= Math.floor(this.o.concurrency / 4);
  }

  private startReady(): void {
    while (this.running && this.inFlight.size < this.o.concurrency && this.ready.length > 0) {
      const row = this.ready.shift()!;
      const until = this.limited.get(row.integrationId);
      if (until !== undefined && until > Date.now()) {
        this.leased.delete(row.id);
        void this.health.watch(() => this.deps.outbox.release([row.id], this.id, new Date(until)));
        continue;
      }
      if (until !== undefined) this.limited.delete(row.integrationId);
      this.track(this.deliver(row).finally(() => { if (!this.posted.some((p) => p.row.id === row.id)) this.leased.delete(row.id); }));
    }
  }

  // The ready rows of an integration whose flow token Flowdock just refused or
  // forgot: not posted. Their rows in the outbox are held or deleted with the
  // integration's.
  private forgetReady(integrationId: string): void {
    this.dropReady((row) => row.integrationId === integrationId);
  }

  // On stop: the ready rows are given back at once rather than when their lease runs out.
  private async release(): Promise<void> {
    const ids = this.dropReady(() => true);
    if (ids.length > 0) await this.health.watch(() => this.deps.outbox.release(ids, this.id));
  }

  // Takes the matching rows out of the ready ones and out of our leases; returns their ids.
  private dropReady(matches: (row: ClaimedMessage) => boolean): number[] {
    const dropped = this.ready.filter(matches).map((row) => row.id);
    this.ready = this.ready.filter((row) => !matches(row));
    for (const id of dropped) this.leased.delete(id);
    return dropped;
  }

  private async fanOut(): Promise<void> {
    this.fanOutWanted = false;
    this.lastFanOut = Date.now();
    const taken = await this.health.watch(() => this.deps.outbox.fanOut());
    // A full batch likely left more behind: go on at once.
    if (taken !== undefined && taken > 0) this.fanOutWanted = true;
  }

  // Housekeeping, apart from the database's health: a failed VACUUM (e.g. a
  // user that may not run it) must not pause deliveries; it is said once.
  private vacuumFailed = false;
  private async vacuum(): Promise<void> {
    if (!this.health.reachable) return;
    try {
      const tables = await this.deps.outbox.vacuumIfNeeded();
      if (tables.length) this.deps.logger.debug({ tables }, "vacuumed the outbox");
      this.vacuumFailed = false;
    } catch (err) {
      if (!this.vacuumFailed) this.deps.logger.warn({ err }, "vacuuming the outbox failed; deliveries go on, and it is tried again every few seconds");
      this.vacuumFailed = true;
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.leased.size === 0) return;
    await this.health.watch(() => this.deps.outbox.renew([...this.leased], this.id, this.o.leaseMs));
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      this.wake?.();
    });
  }

  // Until a post finishes, a nudge arrives, or `ms` pass.
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private outcome(row: ClaimedMessage, outcome: DeliveryOutcome): void {
    this.deps.onOutcome?.({ outcome, queuedAt: row.queuedAt, integrationId: row.integrationId });
  }

  private async deliver(row: ClaimedMessage): Promise<void> {
    if (!row.active) {
      await this.health.watch(() => this.deps.outbox.holdIntegration(row.integrationId, "The integration is not active."));
      return;
    }
    let target: DeliveryTarget | null = null;
    try {
      target = await this.target(row.integrationId);
      if (target === null) return; // the integration was deleted meanwhile; its rows went with it
      await this.deps.flowdock.postMessageJson(target.flowToken, withUuid(row.payload, row.uuid));
    } catch (err) {
      const log = this.deps.logger.child({ outboxId: row.id, integrationId: row.integrationId, thread: row.threadKey });
      await this.handleFailure(row, err, log, target).catch((handlingErr: unknown) => this.health.failed(handlingErr));
      return;
    }
    this.outcome(row, "sent");
    this.posted.push({ row, target });
  }

  private async target(integrationId: string): Promise<DeliveryTarget | null> {
    const cached = this.targets.get(integrationId);
    if (cached && cached.until > Date.now()) return cached.target;
    const target = await this.deps.integrations.deliveryTarget(integrationId);
    if (target === null) this.targets.delete(integrationId);
    else this.targets.set(integrationId, { target, until: Date.now() + 60_000 });
    return target;
  }

  private async parkAsDead(row: ClaimedMessage, target: DeliveryTarget | null, attempts: number, failure: FlowdockError): Promise<void> {
    await this.deps.outbox.markDead(row.id, this.id, { attempts, error: failure.message });
    this.outcome(row, "dead");
    if (target) await this.reporter.deliveryFailed(row.integrationId, target, failure.message);
  }

  private async handleFailure(row: ClaimedMessage, err: unknown, log: Logger, target: DeliveryTarget | null): Promise<void> {
    const failure = err instanceof FlowdockError ? err : new FlowdockError("transient", "delivery failed", { cause: err });
    if (failure.kind === "gone" || failure.kind === "unauthorized") {
      this.targets.delete(row.integrationId);
      this.forgetReady(row.integrationId);
    }
    const attempts = row.attempts + 1;
    switch (failure.kind) {
      case "gone": {
        this.outcome(row, "gone");
        const removed = await this.deps.integrations.removeBecauseSourceIsGone(row.integrationId);
        if (removed) log.warn({ sourceId: removed.sourceId, flow: `${removed.organizationName}/${removed.flowName}` }, "the Flowdock source was removed: integration and its pending deliveries deleted");
        return;
      }
      case "unauthorized":
        this.outcome(row, "unauthorized");
        await this.deps.integrations.markBroken(row.integrationId, "Flowdock no longer accepts this integration's token. Remove it in Inbox Settings and add it again.");
        log.warn("Flowdock refused the flow token: integration marked broken, posting stopped");
        // Its rows stay queued but are no longer offered (a broken integration is only ever replaced).
        await this.deps.outbox.holdIntegration(row.integrationId, failure.message);
        return;
      case "rate_limited": {
        this.outcome(row, "rate_limited");
        // The limit is per flow token: hold all of this integration's messages as
        // asked, without using up an attempt of this one.
        const until = new Date(Date.now() + (failure.details.retryAfterMs ?? 1_000));
        this.limited.set(row.integrationId, until.getTime());
        await this.deps.outbox.retryLater(row.id, this.id, { availableAt: until, attempts: row.attempts, error: failure.message });
        await this.deps.outbox.deferIntegration(row.integrationId, until);
        return;
      }
      case "invalid":
      case "forbidden":
        await this.parkAsDead(row, target, attempts, failure);
        log.error({ fieldErrors: failure.details.fieldErrors }, "Flowdock rejected the message: parked as dead");
        return;
      default:
        if (attempts >= this.o.retry.maxAttempts) {
          await this.parkAsDead(row, target, attempts, failure);
          log.error({ attempts, error: failure.message }, "delivery failed too often: parked as dead");
          return;
        }
        this.outcome(row, "retry");
        await this.deps.outbox.retryLater(row.id, this.id, { availableAt: new Date(Date.now() + backoffDelay(this.o.retry, attempts)), attempts, error: failure.message });
        log.info({ attempts, error: failure.message }, "delivery failed; will retry");
    }
  }
}

// The stored payload is a JSON object without uuid; splicing the uuid in as
// text saves parsing and re-serialising every message.
function withUuid(payload: string, uuid: string): string {
  return payload === "{}" ? `{"uuid":"${uuid}"}` : `{"uuid":"${uuid}",${payload.slice(1)}`;
}
