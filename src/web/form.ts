// The app's one input layer. Every request's query and body pass `textInputOnly`
// (mounted after the body parsers), then each route parses the fields it wants
// with a zod schema through `parseInput`: either the parsed data or each
// field's messages, so a page can be shown again with the errors next to the fields.
import type { RequestHandler } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";

export type FieldErrors = Record<string, string[]>;
export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/** The largest id our integer columns hold (PostgreSQL's INTEGER is 32-bit). */
export const MAX_DATABASE_INT = 2_147_483_647;

/** A positive integer id from a URL or form, checked before it reaches the database. */
export const databaseId = (message = "The id is not valid.") =>
  z.string({ error: message }).regex(/^\d{1,10}$/, message).transform(Number).pipe(z.number().int().min(1, message).max(MAX_DATABASE_INT, message));

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

/**
 * What an HTML form can send, and so all the app's forms accept: fields of text
 * (or lists of text, for repeated checkboxes), in valid Unicode. Anything else
 * (a JSON object or number where text belongs, a lone surrogate that no
 * database or page can hold) is refused here with a 400 before any route sees
 * it, so no route can turn it into a 5xx or show it back half-broken.
 */
export const textInputOnly: RequestHandler = (req, _res, next) => {
  if (!isTextFields(req.query)) return next(notText("This address"));
  const body: unknown = req.body;
  if (body !== undefined && !isTextFields(body)) return next(notText("This form"));
  next();
};

function isTextFields(fields: unknown): boolean {
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return false;
  return Object.entries(fields).every(([key, value]) => wellFormed(key) && isText(value));
}

function isText(value: unknown): boolean {
  if (typeof value === "string") return wellFormed(value);
  return Array.isArray(value) && value.every((v) => typeof v === "string" && wellFormed(v));
}

// In a /u regex a surrogate pair is one code point, so this matches only lone halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const wellFormed = (text: string) => !LONE_SURROGATE.test(text);

function notText(what: string): AppError {
  return new AppError("BAD_REQUEST", `${what} sent something that is not valid text. Go back, check what you typed and try again.`, { title: "That didn't work" });
}
