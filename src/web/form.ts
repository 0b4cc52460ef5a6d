// Form and query input through zod: either the parsed data or each field's
// messages, so a page can be shown again with the errors next to the fields.
import type { z } from "zod";

export type FieldErrors = Record<string, string[]>;
export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.join(".") || "form";
    (errors[field] ??= []).push(issue.message);
  }
  return { ok: false, errors };
}
