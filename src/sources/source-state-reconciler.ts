// Makes each source in Flowdock show what our data says it should: its
// `error_message` (suspended, or deliveries failing, or none) and its
// `configuration_url`. Level-triggered: every pass derives the desired state
// from the data and compares it with what we last showed (stored on the
// integration), so nothing is lost when a worker crashes between a change and
// its PUT, or while Flowdock is down (the next pass, after a backoff, simply
// finds the difference again); a PUT happens once per change of state, never
// per event; and quick flips (set, clear, set) end in the last state, because
// a source is updated by one worker at a time (a lease) from data re-read
// after taking the lease. Runs in the delivery worker's process, on a poll and
// when nudged after a change.
import crypto from "node:crypto";
import type { Logger } from "../observability/logger.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import { FlowdockError } from "../flowdock-client/flowdock-errors.ts";
import type { SuspensionCause } from "../activity-forwarding/recipients.ts";
import { backoffDelay, type RetryPolicy } from "../activity-forwarding/retry-policy.ts";
import type { IntegrationsRepository } from "./integrations.repository.ts";
import type { AuditLine } from "./audit.repository.ts";
import type { SourceSnapshot, SourceStateRepository } from "./source-state.repository.ts";
import { desiredSourceState, type DesiredSourceState } from "./source-state.ts";

export interface SourceStateReconcilerOptions {
  repo: SourceStateRepository;
  integrations: IntegrationsRepository;
  flowdock: FlowdockClient;
  logger: Logger;
  appBaseUrl: string;
  /** How often every source is checked without a nudge. */
  pollMs?: number;
  /** How long one source's update stays ours; must outlast one Flowdock request. */
  leaseMs?: number;
  retry?: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">;
}

const CAUSE_WORDS: Record<SuspensionCause, string> = {
  project_archived: "the project was archived",
  connector_left: "the person who connected it is no longer a member of the project",
  connector_disabled: "the account that connected it was disabled",
  connector_deleted: "the account that connected it was deleted",
};

export class SourceStateReconciler {
  readonly owner = `source-sync-${crypto.randomUUID()}`;
  // Sources Flowdock could not update: not tried again before `until`.
  private readonly backoff = new Map<string, { attempts: number; until: number }>();
  // Integrations whose source showed an error at the last pass: a delivery
  // success there is worth a look (the failures may be over).
  private readonly showingError = new Set<string>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private nudged = false;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly retry: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">;

  constructor(private readonly deps: SourceStateReconcilerOptions) {
    this.pollMs = deps.pollMs ?? 5_000;
    this.leaseMs = deps.leaseMs ?? 60_000;
    this.retry = deps.retry ?? { baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Check the sources now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /** Whether this integration's source showed an error when last looked at. */
  isShowingError(integrationId: string): boolean {
    return this.showingError.has(integrationId);
  }

  /** One pass over every active integration. */
  async reconcileAll(now = Date.now()): Promise<void> {
    const snapshots = await this.deps.repo.all();
    this.showingError.clear();
    for (const s of snapshots) if (s.reportedError !== null) this.showingError.add(s.integrationId);
    for (const snapshot of snapshots) {
      const desired = desiredSourceState(this.deps.appBaseUrl, snapshot);
      if (inSync(snapshot, desired)) {
        this.backoff.delete(snapshot.integrationId);
        continue;
      }
      if ((this.backoff.get(snapshot.integrationId)?.until ?? 0) > now) continue;
      await this.reconcile(snapshot.integrationId).catch((err: unknown) => this.deps.logger.error({ err, integrationId: snapshot.integrationId }, "updating the source's state failed; will try again"));
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.nudged = false;
      await this.reconcileAll().catch((err: unknown) => this.deps.logger.error({ err }, "checking the sources' state failed; will try again"));
      if (!this.nudged && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async reconcile(integrationId: string): Promise<void> {
    const { repo } = this.deps;
    if (!(await repo.claim(integrationId, this.owner, this.leaseMs))) return; // another worker is on it
    try {
      // Re-read under the lease: what the source must show now, not at the pass's start.
      const fresh = await repo.one(integrationId);
      if (!fresh) return;
      const desired = desiredSourceState(this.deps.appBaseUrl, fresh);
      if (desired.suspension !== fresh.observedSuspension) {
        // Not ours any more (our lease ran out): the worker holding it does the rest.
        if (!(await repo.commit(integrationId, this.owner, { observedSuspension: desired.suspension }, [suspensionLine(fresh, desired.suspension)]))) return;
      }
      const changes: { error_message?: string; configuration_url?: string } = {};
      if (desired.errorMessage !== fresh.reportedError) changes.error_message = desired.errorMessage ?? ""; // "" clears it
      if (desired.configurationUrl !== fresh.reportedConfigurationUrl) changes.configuration_url = desired.configurationUrl;
      if (Object.keys(changes).length === 0) return;
      await this.update(fresh, desired, changes);
    } finally {
      await repo.release(integrationId, this.owner);
    }
  }

  private async update(fresh: SourceSnapshot, desired: DesiredSourceState, changes: { error_message?: string; configuration_url?: string }): Promise<void> {
    const { repo, flowdock, logger } = this.deps;
    const id = fresh.integrationId;
    const flowToken = await repo.flowToken(id);
    if (!flowToken) return;
    try {
      await flowdock.updateSource(flowToken, changes);
    } catch (err) {
      return this.failed(id, err);
    }
    this.backoff.delete(id);
    const lines: AuditLine[] = [];
    if (changes.error_message !== undefined) {
      lines.push({
        projectId: fresh.projectId, integrationId: id, actor: null,
        action: desired.errorMessage === null ? "integration.error_cleared" : "integration.error_set",
        detail: desired.errorMessage ?? "",
      });
    }
    const stored = await repo.commit(id, this.owner, {
      ...(changes.error_message !== undefined ? { reportedError: desired.errorMessage } : {}),
      ...(changes.configuration_url !== undefined ? { reportedConfigurationUrl: desired.configurationUrl } : {}),
    }, lines);
    if (stored) logger.info({ integrationId: id, error: desired.errorMessage !== null, fields: Object.keys(changes) }, "source updated in Flowdock");
  }

  private async failed(integrationId: string, err: unknown): Promise<void> {
    const kind = err instanceof FlowdockError ? err.kind : "unexpected";
    if (kind === "gone") {
      await this.deps.integrations.removeBecauseSourceIsGone(integrationId);
      this.deps.logger.warn({ integrationId }, "the Flowdock source was removed: integration deleted");
      return;
    }
    if (kind === "unauthorized") {
      await this.deps.integrations.markBroken(integrationId, "Flowdock no longer accepts this integration's token. Remove it in Inbox Settings and add it again.");
      return;
    }
    const attempts = (this.backoff.get(integrationId)?.attempts ?? 0) + 1;
    const delay = backoffDelay({ ...this.retry, maxAttempts: Infinity }, attempts);
    this.backoff.set(integrationId, { attempts, until: Date.now() + delay });
    this.deps.logger.warn({ err, integrationId, attempts, retryInMs: delay }, "Flowdock did not take the source's new state; will try again");
  }
}

function inSync(s: SourceSnapshot, desired: DesiredSourceState): boolean {
  return s.reportedError === desired.errorMessage && s.reportedConfigurationUrl === desired.configurationUrl && s.observedSuspension === desired.suspension;
}

function suspensionLine(s: SourceSnapshot, cause: SuspensionCause | null): AuditLine {
  const previous = s.observedSuspension as SuspensionCause | null;
  return cause
    ? { projectId: s.projectId, integrationId: s.integrationId, actor: null, action: "integration.suspended", detail: CAUSE_WORDS[cause] }
    : { projectId: s.projectId, integrationId: s.integrationId, actor: null, action: "integration.resumed", detail: previous ? `no longer suspended: ${CAUSE_WORDS[previous] ?? previous}` : "" };
}
