import crypto from "node:crypto";

/** An unguessable token, URL-safe. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64url");
}

/** Lookup hash for a stored credential: the credential itself is never stored. */
export function sha256(value: string): string {
  return crypto.createHash("sha256").update(value).digest("hex");
}
