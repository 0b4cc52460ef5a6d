// Every way a Flowdock call can fail, as one typed error with a stable kind, so
// callers decide by kind (retry, stop, delete, ask the user) and never by
// parsing messages. The response body is never kept: it may echo credentials.
export type FlowdockErrorKind =
  | "gone" // 410: the source was deleted; its flow token is dead for good
  | "unauthorized" // 401: unknown, expired or revoked token
  | "forbidden" // 403: token lacks a scope or the user lacks a right
  | "not_found" // 404: unknown flow or source, or not visible to this user
  | "invalid" // 400/422: Flowdock rejected our input
  | "rate_limited" // 429: wait `retryAfterMs`, then try again
  | "transient" // 5xx, timeout or network failure: try again later
  | "unexpected"; // anything else, including answers we can't parse

export class FlowdockError extends Error {
  constructor(
    readonly kind: FlowdockErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; fieldErrors?: Record<string, string[]>; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = "FlowdockError";
  }
}

export function errorForStatus(status: number, body: unknown, retryAfter: string | null): FlowdockError {
  const message = typeof (body as { message?: unknown })?.message === "string" ? (body as { message: string }).message : `HTTP ${status}`;
  switch (true) {
    case status === 410: return new FlowdockError("gone", "The Flowdock source no longer exists", { status });
    case status === 401: return new FlowdockError("unauthorized", "Flowdock refused the token", { status });
    case status === 403: return new FlowdockError("forbidden", `Flowdock refused the request: ${message}`, { status });
    case status === 404: return new FlowdockError("not_found", "Flowdock could not find it", { status });
    case status === 400 || status === 422: {
      const errors = (body as { errors?: Record<string, string[]> })?.errors;
      return new FlowdockError("invalid", `Flowdock rejected the request: ${message}`, { status, fieldErrors: errors });
    }
    case status === 429: return new FlowdockError("rate_limited", "Flowdock asks us to slow down", { status, retryAfterMs: parseRetryAfter(retryAfter) });
    case status >= 500: return new FlowdockError("transient", `Flowdock is unavailable (HTTP ${status})`, { status });
    default: return new FlowdockError("unexpected", `Unexpected answer from Flowdock (HTTP ${status})`, { status });
  }
}

// Retry-After is seconds or an HTTP date; without one, a cautious default.
export function parseRetryAfter(value: string | null, now = Date.now()): number {
  if (value && /^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = value ? Date.parse(value) : NaN;
  return Number.isNaN(date) ? 5_000 : Math.max(0, date - now);
}
