// A setup in progress lives in this browser's session, keyed by a random id:
// the flow being set up, the OAuth state bound to it and, once the user has
// authorized us, their access token, sealed. A setup expires after 15 minutes
// and the token is dropped as soon as the source exists.
import type { Request } from "express";
import { randomToken } from "../crypto/random.ts";
import type { Flow } from "../flowdock-client/flowdock-types.ts";

export interface PendingSetup {
  flowId: string;
  flowUrl?: string;
  createdAt: number;
  /** Hash of the OAuth `state` sent to Flowdock; cleared once used. */
  stateHash?: string;
  /** PKCE's code verifier for that state (RFC 7636); cleared with it. */
  codeVerifier?: string;
  sealedAccessToken?: string;
  /** The flow as Flowdock showed it on the confirmation screen; confirming uses its links. */
  flow?: Flow;
  /**
   * Set when the authorization is not for a new source but to remove one:
   * Flowdock deletes a source only for a user's token, and the app keeps none
   * after setup, so disconnecting goes through OAuth again (src/configuration).
   */
  disconnect?: { integrationId: string; configureUrl: string };
}

declare module "express-session" {
  interface SessionData {
    flowdockSetups?: Record<string, PendingSetup>;
  }
}

export const SETUP_TTL_MS = 15 * 60_000;
const MAX_PER_SESSION = 5;

export function beginPendingSetup(req: Request, flow: { flowId: string; flowUrl?: string }, now = Date.now()): string {
  const setups = liveSetups(req, now);
  // A handful of tabs is plenty; the oldest setup makes way for a new one.
  const ids = Object.keys(setups).sort((a, b) => setups[a]!.createdAt - setups[b]!.createdAt);
  while (ids.length >= MAX_PER_SESSION) delete setups[ids.shift()!];
  const id = randomToken(12);
  setups[id] = { ...flow, createdAt: now };
  req.session.flowdockSetups = setups;
  return id;
}

export function findPendingSetup(req: Request, id: string, now = Date.now()): PendingSetup | undefined {
  return liveSetups(req, now)[id];
}

export function updatePendingSetup(req: Request, id: string, changes: Partial<PendingSetup>): void {
  const setups = req.session.flowdockSetups ?? {};
  const setup = setups[id];
  if (setup) setups[id] = { ...setup, ...changes };
  req.session.flowdockSetups = setups;
}

export function endPendingSetup(req: Request, id: string): void {
  const setups = req.session.flowdockSetups ?? {};
  delete setups[id];
  req.session.flowdockSetups = setups;
}

function liveSetups(req: Request, now: number): Record<string, PendingSetup> {
  const setups = req.session.flowdockSetups ?? {};
  for (const [id, setup] of Object.entries(setups)) {
    if (now - setup.createdAt > SETUP_TTL_MS) delete setups[id];
  }
  return setups;
}
