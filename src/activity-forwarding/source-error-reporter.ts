// Tells the flow's admins, on the source itself, when deliveries are failing:
// Flowdock shows a source's `error_message` prominently in Inbox Settings
// (contract section 4). Set when a delivery is parked as failed, cleared once
// nothing is failed any more. Best effort: Flowdock being down is often the
// very reason, so a failed report is logged, not retried.
import type { Logger } from "../observability/logger.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import type { IntegrationsRepository } from "../sources/integrations.repository.ts";
import type { OutboxRepository } from "./outbox.repository.ts";

export interface DeliveryTarget {
  flowToken: string;
  reportedError: string | null;
}

export class SourceErrorReporter {
  // Reports that could not be made (Flowdock was down): tried again after the next success.
  private readonly unreported = new Map<string, string>();

  constructor(private readonly deps: { flowdock: FlowdockClient; integrations: IntegrationsRepository; outbox: OutboxRepository; logger: Logger }) {}

  async deliveryFailed(integrationId: string, target: DeliveryTarget, reason: string): Promise<void> {
    const message = `Tracker could not deliver some updates to this flow (${reason}). A project owner can retry them on the integration's page in Tracker.`;
    if (target.reportedError === message) return;
    await this.report(integrationId, target, message);
  }

  async deliverySucceeded(integrationId: string, target: DeliveryTarget): Promise<void> {
    const owed = this.unreported.get(integrationId);
    if (owed !== undefined) return this.report(integrationId, target, owed);
    if (target.reportedError === null) return;
    if ((await this.deps.outbox.deadCount(integrationId)) > 0) return;
    await this.report(integrationId, target, null);
  }

  private async report(integrationId: string, target: DeliveryTarget, message: string | null): Promise<void> {
    try {
      // An empty error_message clears it on Flowdock's side.
      await this.deps.flowdock.updateSource(target.flowToken, { error_message: message ?? "" });
      await this.deps.integrations.setReportedError(integrationId, message);
      target.reportedError = message;
      this.unreported.delete(integrationId);
    } catch (err) {
      if (message !== null) this.unreported.set(integrationId, message);
      this.deps.logger.warn({ err, integrationId }, "could not update the source's error message in Flowdock");
    }
  }
}
