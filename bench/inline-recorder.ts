// The alternative the outbox is measured against (bench only): post each
// activity to every integration of the project inside the web request, right
// after the change commits (not inside the transaction, which would also hold
// SQLite's write lock for the length of each post), before the page answers.
import crypto from "node:crypto";
import type { Activity, ActivityRecorder } from "../src/activity-forwarding/activity.ts";
import type { FlowdockClient } from "../src/flowdock-client/flowdock-client.ts";
import type { IntegrationsRepository } from "../src/sources/integrations.repository.ts";

export function inlineRecorder(flowdock: FlowdockClient, integrations: IntegrationsRepository): ActivityRecorder {
  return {
    async record() {},
    async committed(activities) {
      for (const activity of activities) await post(activity);
    },
  };

  async function post(activity: Activity) {
    for (const integration of await integrations.listForProject(activity.projectId)) {
      const token = await integrations.openFlowToken(integration.id);
      if (!token) continue;
      await flowdock.postMessage(token, {
        event: activity.event, author: activity.author, title: activity.title, body: activity.body,
        external_thread_id: activity.threadKey, thread: activity.thread, tags: activity.tags, uuid: crypto.randomUUID(),
      });
    }
  }
}
