// Linking a Tracker account to the Flowdock user who pressed an action: only
// once the person has authorized with Flowdock and Flowdock says they are the
// user the sign-in link's claim was made for. Anyone else's link (a link sent
// to the wrong person, a second Flowdock account in the same browser) links nothing.
import { AppError } from "../errors.ts";
import type { FlowdockClient } from "../flowdock-client/flowdock-client.ts";
import type { FlowdockLinksRepository } from "./flowdock-links.repository.ts";
import type { PendingLink } from "./flowdock-link-oauth.ts";

export async function completeLink(
  deps: { flowdock: FlowdockClient; links: FlowdockLinksRepository },
  user: { id: string },
  pending: PendingLink,
  accessToken: string,
): Promise<{ flowdockName: string }> {
  const flowdockUser = await deps.flowdock.currentUser(accessToken);
  if (flowdockUser.id !== pending.flowdockUserId) {
    throw new AppError("FORBIDDEN", `You authorized as ${flowdockUser.name} in Flowdock, but the action was pressed by another Flowdock account, so nothing was linked. Sign in to Flowdock as the person who pressed the action, then press it again.`, {
      title: "A different Flowdock account",
      action: { href: "/account", label: "Your account settings" },
    });
  }
  await deps.links.link(user.id, flowdockUser);
  return { flowdockName: flowdockUser.name };
}
