// zod schemas → the API's {"message":"Validation error","errors":{field:[...]}}.
import type { z } from "zod";
import { validationError } from "./api-error.ts";

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const errors: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path.join(".") || "body";
    (errors[field] ??= []).push(issue.message);
  }
  throw validationError(errors);
}

/** The route parameters the local Flowdock's paths use (Express types them loosely when paths are built in code). */
export function params(req: { params: unknown }): { organization: string; flow: string; id: string; target: string } {
  return req.params as { organization: string; flow: string; id: string; target: string };
}
