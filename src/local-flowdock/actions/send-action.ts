// What Flowdock does when someone presses an UpdateAction on a thread
// (thread-actions.md): it sends the action, enriched with `agent` (who pressed
// it), as JSON to the action's urlTemplate with the action's method, and signs
// the request with a FLOWDOCK-TOKEN header: a JWT (HS256) made with the
// application's OAuth client secret, claims `sub` (the user id), `exp` (30 s)
// and `signature` (SHA-256 hex of the body). The docs show no `jti` or `iat`;
// we add both, so two presses in the same second are still two tokens.
// The request goes only to the address the action names, within a time
// limit, and a redirect is reported, never followed.
import crypto from "node:crypto";
import { SignJWT } from "jose";

export interface UpdateAction {
  "@type": "UpdateAction";
  name: string;
  description?: string;
  target: { "@type": "EntryPoint"; urlTemplate: string; httpMethod: string };
}

export interface Agent {
  id: number;
  name: string;
  avatar: string | null;
}

export type ActionOutcome =
  | { kind: "done"; message: string }
  | { kind: "sign-in"; url: string }
  | { kind: "refused"; message: string }
  /** `message` follows the integration's name: "did not answer within 10 seconds". */
  | { kind: "failed"; message: string };

export const TOKEN_LIFETIME_SECONDS = 30;
export const ACTION_TIMEOUT_MS = 10_000;
const MESSAGE_LIMIT = 300;

export async function sendAction(action: UpdateAction, agent: Agent, clientSecret: string, now: number, timeoutMs = ACTION_TIMEOUT_MS): Promise<ActionOutcome> {
  const method = action.target.httpMethod.toUpperCase();
  // A GET carries no body; the token then signs the empty body that is sent.
  const body = method === "GET" ? "" : JSON.stringify({
    ...action,
    agent: { "@type": "Person", id: String(agent.id), name: agent.name, ...(agent.avatar ? { image: agent.avatar } : {}) },
  });
  const iat = Math.floor(now / 1000);
  const token = await new SignJWT({ signature: crypto.createHash("sha256").update(body).digest("hex") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(agent.id))
    .setIssuedAt(iat)
    .setExpirationTime(iat + TOKEN_LIFETIME_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(clientSecret));

  let res: Response;
  try {
    res = await fetch(action.target.urlTemplate, {
      method,
      headers: { ...(body ? { "content-type": "application/json" } : {}), accept: "application/json", "FLOWDOCK-TOKEN": token },
      body: body || undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = (err as { name?: string }).name === "TimeoutError";
    return { kind: "failed", message: timedOut ? `did not answer within ${timeoutMs / 1000} seconds` : "could not be reached" };
  }
  const text = await readSome(res);
  if (res.status >= 200 && res.status < 300) return { kind: "done", message: messageIn(text) ?? "Done." };
  if (res.status === 401) {
    const url = challengeUrl(res.headers.get("www-authenticate"));
    if (url) return { kind: "sign-in", url };
  }
  if (res.status >= 300 && res.status < 400) return { kind: "refused", message: "It answered with a redirect, which Flowdock does not follow." };
  if (res.status >= 500) return { kind: "failed", message: `answered with an error (HTTP ${res.status})` };
  return { kind: "refused", message: messageIn(text) ?? `HTTP ${res.status}` };
}

/**
 * The URL of an authentication challenge. The docs show the header as
 * `Flowdock-Token url=https://…`; a quoted URL (auth-param syntax) is read too.
 * Only a web address is offered to the person.
 */
export function challengeUrl(header: string | null): string | undefined {
  const match = /^\s*Flowdock-Token\s+url=(?:"([^"]+)"|(\S+))\s*$/i.exec(header ?? "");
  const candidate = match?.[1] ?? match?.[2];
  if (!candidate) return undefined;
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

// Enough of the answer to find a message in; a huge or endless answer is cut off.
async function readSome(res: Response, limit = 64 * 1024): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    return "";
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

// The integration's own words, if its JSON answer has any: {message}, {error:
// {message}} or {error: "…"}.
function messageIn(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = json as { message?: unknown; error?: unknown } | null;
  const found = [o?.message, (o?.error as { message?: unknown } | null)?.message, o?.error].find((v) => typeof v === "string" && v.trim() !== "");
  return typeof found === "string" ? found.trim().slice(0, MESSAGE_LIMIT) : undefined;
}
