// A flow's API token for the (deprecated) Push API. Flowdock showed it to every
// member in the flow's settings, so it must be readable, yet the local Flowdock
// stores no credential in a readable form: the token is derived, an HMAC of the
// flow id under the server's secret, and nothing about it is stored. Finding
// the flow of a presented token compares it against each flow's (constant
// time); a local Flowdock has a handful of flows. Changing the secret changes
// every flow's token, as regenerating them would.
import crypto from "node:crypto";
import type { Store } from "../store/store.ts";
import type { FlowWithOrganization } from "../store/directory.repository.ts";

export function flowApiToken(secret: string, flowId: string): string {
  return crypto.createHmac("sha256", secret).update(`flow-api-token:${flowId}`).digest("hex").slice(0, 32);
}

export function flowByApiToken(store: Store, secret: string, token: string): FlowWithOrganization | undefined {
  const presented = Buffer.from(token);
  return store.directory.allFlows().find((flow) => {
    const expected = Buffer.from(flowApiToken(secret, flow.id));
    return expected.length === presented.length && crypto.timingSafeEqual(expected, presented);
  });
}
