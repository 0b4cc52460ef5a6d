// Errors of the local Flowdock's REST API, in the hosted API's shape:
// {"message": "..."} and, for validation, {"message":"Validation error","errors":{field:[...]}}.
import type { ErrorRequestHandler, Response } from "express";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string[]>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = () => new ApiError(404, "not found");
export const validationError = (errors: Record<string, string[]>) => new ApiError(400, "Validation error", errors);

export function sendApiError(res: Response, err: ApiError): void {
  res.set(err.headers).status(err.status).json({ message: err.message, ...(err.errors ? { errors: err.errors } : {}) });
}

/** Turns body-parser failures and ApiErrors into JSON; anything else is a 500. */
export function apiErrorHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof ApiError) return sendApiError(res, err);
    const type = (err as { type?: string }).type;
    if (type === "entity.too.large") return sendApiError(res, new ApiError(413, "Request body too large"));
    if (type === "entity.parse.failed") return sendApiError(res, new ApiError(400, "Request body is not valid JSON"));
    if (typeof (err as { status?: number }).status === "number" && (err as { status: number }).status < 500) {
      return sendApiError(res, new ApiError((err as { status: number }).status, "Bad request"));
    }
    onUnexpected(err);
    sendApiError(res, new ApiError(500, "Internal server error"));
  };
}
