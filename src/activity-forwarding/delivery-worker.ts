// Sends outbox rows to Flowdock. Bounded concurrency across threads, strict
// order within one (the outbox only hands out the oldest undelivered row of a
// thread), a uuid per message so a retry can never duplicate it, and each
// Flowdock answer mapped to what happens next:
//   2xx → sent · 5xx/timeout/network → backoff, then dead after the cap
//   429 → wait Retry-After · 410 → the source is gone: delete the integration
//   401 → the token is dead: mark the integration broken · 400 → dead at once
import crypto from "node:crypto";
import type { Logger } from "../observability/logger.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { FlowdockError } from "../flowdock-client/flowdock-errors.ts";
import type { IntegrationsRepository } from "../sources/integrations.repository.ts";
import type { ClaimedMessage, OutboxRepository } from "./outbox.repository.ts";
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-policy.ts";
import { SourceErrorReporter, type DeliveryTarget } from "./source-error-reporter.ts";
import type { SourceStateReconciler } from "../sources/source-state-reconciler.ts";

export interface DeliveryWorkerOptions {
  outbox: OutboxRepository;
  integrations: IntegrationsRepository;
  flowdock: FlowdockClient;
  logger: Logger;
  concurrency?: number;
  /** How long a claimed row stays ours; must outlast one Flowdock request. */
  leaseMs?: number;
  /** How often an idle worker looks for new rows. */
  pollMs?: number;
  retry?: RetryPolicy;
  /** Keeps each source's error message and configuration address in Flowdock up to date; runs beside the deliveries. */
  sourceState?: SourceStateReconciler;
  /** Told what became of each delivery attempt (metrics). */
  onOutcome?: (o: { outcome: "sent" | "retry" | "dead" | "gone" | "unauthorized" | "rate_limited"; queuedAt: Date; integrationId: string }) => void;
}

export class DeliveryWorker {
  readonly id = `worker-${crypto.randomUUID()}`;
  private readonly inFlight = new Set<Promise<void>>();
  // Delivery targets (decrypted flow token, reported error), briefly, so a busy
  // thread doesn't read and decrypt one per message.
  private readonly targets = new Map<string, { target: DeliveryTarget; until: number }>();
  private readonly reporter: SourceErrorReporter;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly o: Required<Omit<DeliveryWorkerOptions, "outbox" | "integrations" | "flowdock" | "logger" | "sourceState" | "onOutcome">>;

  constructor(private readonly deps: DeliveryWorkerOptions) {
    this.reporter = new SourceErrorReporter(deps.sourceState);
    this.o = {
      concurrency: deps.concurrency ?? 8,
      leaseMs: deps.leaseMs ?? 60_000,
      pollMs: deps.pollMs ?? 100,
      retry: deps.retry ?? DEFAULT_RETRY_POLICY,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.sourceState?.start();
    this.loop = this.run().catch((err: unknown) => {
      this.deps.logger.fatal({ err }, "delivery worker stopped unexpectedly");
      this.running = false;
    });
  }

  /** Stops claiming and waits for the deliveries under way. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.deps.sourceState?.stop();
  }

  /** Look for work now rather than at the next poll (e.g. right after an event was recorded). */
  nudge(): void {
    this.wake?.();
    this.deps.sourceState?.nudge();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.o.concurrency - this.inFlight.size;
      // Claim in batches (one query for several rows) unless nothing is under way.
      const worthClaiming = free > 0 && (free >= Math.ceil(this.o.concurrency / 2) || this.inFlight.size === 0);
      const claimed = worthClaiming ? await this.claimSafely(free) : [];
      for (const row of claimed) this.track(this.deliver(row));
      if (claimed.length === 0 || !worthClaiming || this.inFlight.size >= this.o.concurrency) await this.idle();
    }
  }

  private async claimSafely(limit: number): Promise<ClaimedMessage[]> {
    try {
      return await this.deps.outbox.claim(this.id, limit, this.o.leaseMs);
    } catch (err) {
      this.deps.logger.error({ err }, "claiming outbox rows failed; retrying shortly");
      return [];
    }
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      this.wake?.();
    });
  }

  // Until a delivery finishes, a nudge arrives, or the poll interval passes.
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.o.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async deliver(row: ClaimedMessage): Promise<void> {
    const log = this.deps.logger.child({ outboxId: row.id, integrationId: row.integrationId, thread: row.threadKey });
    let target: DeliveryTarget | null = null;
    try {
      target = await this.target(row.integrationId);
      if (target === null) return; // the integration was deleted meanwhile; its rows went with it
      await this.deps.flowdock.postMessage(target.flowToken, row.message);
      await this.deps.outbox.markSent(row.id, this.id);
      this.outcome(row, "sent");
      await this.reporter.deliverySucceeded(row.integrationId, target);
    } catch (err) {
      await this.handleFailure(row, err, log, target).catch((handlingErr: unknown) => log.error({ err: handlingErr }, "recording a failed delivery failed; the lease will expire and the row be retried"));
    }
  }

  private outcome(row: ClaimedMessage, outcome: Parameters<NonNullable<DeliveryWorkerOptions["onOutcome"]>>[0]["outcome"]): void {
    this.deps.onOutcome?.({ outcome, queuedAt: row.queuedAt, integrationId: row.integrationId });
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
    if (target) await this.reporter.deliveryFailed(row.integrationId, target, failure.message);
  }

  private async handleFailure(row: ClaimedMessage, err: unknown, log: Logger, target: DeliveryTarget | null): Promise<void> {
    const failure = err instanceof FlowdockError ? err : new FlowdockError("transient", "delivery failed", { cause: err });
    if (failure.kind === "gone" || failure.kind === "unauthorized") this.targets.delete(row.integrationId);
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
        await this.deps.outbox.retryLater(row.id, this.id, { availableAt: new Date(), attempts: row.attempts, error: failure.message });
        return;
      case "rate_limited": {
        // The limit is per flow token: hold all of this integration's messages as
        // asked, without using up an attempt of this one.
        this.outcome(row, "rate_limited");
        const until = new Date(Date.now() + (failure.details.retryAfterMs ?? 1_000));
        await this.deps.outbox.retryLater(row.id, this.id, { availableAt: until, attempts: row.attempts, error: failure.message });
        await this.deps.outbox.deferIntegration(row.integrationId, until);
        return;
      }
      case "invalid":
      case "forbidden":
        this.outcome(row, "dead");
        await this.parkAsDead(row, target, attempts, failure);
        log.error({ fieldErrors: failure.details.fieldErrors }, "Flowdock rejected the message: parked as dead");
        return;
      default:
        if (attempts >= this.o.retry.maxAttempts) {
          this.outcome(row, "dead");
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
