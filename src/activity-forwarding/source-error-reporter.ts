// The delivery worker's word to the source-state reconciler: a delivery was
// parked as failed, or one went through where the source shows an error. The
// reconciler (src/sources/source-state-reconciler.ts) derives from the data
// what the source should show and updates Flowdock durably; this only wakes it,
// so a busy thread never costs a Flowdock call per message.
import type { SourceStateReconciler } from "../sources/source-state-reconciler.ts";

export interface DeliveryTarget {
  flowToken: string;
  reportedError: string | null;
}

export class SourceErrorReporter {
  constructor(private readonly reconciler: SourceStateReconciler | undefined) {}

  async deliveryFailed(_integrationId: string, _target: DeliveryTarget, _reason: string): Promise<void> {
    this.reconciler?.nudge();
  }

  async deliverySucceeded(integrationId: string, target: DeliveryTarget): Promise<void> {
    if (target.reportedError !== null || this.reconciler?.isShowingError(integrationId)) this.reconciler?.nudge();
  }
}
