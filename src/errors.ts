// A small family of typed errors with stable codes. Handlers map them to HTTP;
// the original cause is kept for the log and never shown to the user.
export type ErrorCode =
  | "NOT_FOUND"
  | "VALIDATION_FAILED"
  | "BAD_REQUEST"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "CSRF_INVALID"
  | "PAYLOAD_TOO_LARGE"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "UPSTREAM_UNAVAILABLE"
  | "DATABASE_UNAVAILABLE"
  | "INTERNAL";

const STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF_INVALID: 403,
  PAYLOAD_TOO_LARGE: 413,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UPSTREAM_UNAVAILABLE: 502,
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface ErrorAction {
  href: string;
  label: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, string[]>; action?: ErrorAction; title?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.status = STATUS[code];
    this.details = options.details;
    this.action = options.action;
    this.title = options.title;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
  /** When a refused request may be tried again (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, string[]> | undefined;
  /** What the person can do next, shown as the page's main button. */
  readonly action: ErrorAction | undefined;
  /** A page heading that says what happened, instead of the generic one. */
  readonly title: string | undefined;
}

export const notFound = (what = "Page") => new AppError("NOT_FOUND", `${what} not found`);

export function validationFailed(details: Record<string, string[]>, message = "Some fields need attention") {
  return new AppError("VALIDATION_FAILED", message, { details });
}

// A database fault (full disk, lock, lost connection): nothing was saved, and
// trying again shortly is the right thing to do.
export function databaseUnavailable(reason: string, cause: unknown): AppError {
  return new AppError("DATABASE_UNAVAILABLE", `Nothing was saved: ${reason}. Please try again in a minute.`, { cause, title: "Temporarily unavailable", retryAfterSeconds: 30 });
}

// Errors thrown by Express's own body parsers carry a `type` and a `status`.
export function fromHttpError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; code?: string } | undefined;
  if (!e || typeof e !== "object") return undefined;
  if (e.code === "EBADCSRFTOKEN") {
    return new AppError("CSRF_INVALID", "This form has expired or was sent from another site. Go back, reload the page and try again.", { cause: err });
  }
  if (e.type === "entity.too.large") return new AppError("PAYLOAD_TOO_LARGE", "Request body too large", { cause: err });
  if (e.type === "entity.parse.failed") return new AppError("BAD_REQUEST", "Request body is not valid JSON", { cause: err });
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return new AppError(e.status === 403 ? "FORBIDDEN" : "BAD_REQUEST", "Bad request", { cause: err });
  }
  return undefined;
}
