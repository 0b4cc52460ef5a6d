// Verifies the FLOWDOCK-TOKEN header of an action request, as Flowdock's
// thread-actions documentation describes it: a JWT signed (HS256) with our
// OAuth client secret whose claims are `sub` (the Flowdock user id), `exp`
// (30 seconds ahead) and `signature` (the SHA-256 hex digest of the exact
// request body). Each failure is a typed 401/403 that names what was wrong.
import crypto from "node:crypto";
import { jwtVerify } from "jose";
import { AppError } from "../errors.ts";

/** Clocks of Flowdock and of our servers may differ a little. */
export const CLOCK_SKEW_SECONDS = 5;
// Flowdock makes tokens that live 30 s; one claiming much longer was not made by it
// (and would sit in the replay table for as long as it claims).
const LONGEST_LIFETIME_SECONDS = 30 + 30;
const MAX_TOKEN_LENGTH = 4096;

export interface VerifiedActionToken {
  flowdockUserId: string;
  /** Identifies the token for replay checks: a hash of its signed part (header and claims). */
  replayKey: string;
  expiresAt: Date;
}

export async function verifyFlowdockToken(header: string | undefined, rawBody: Buffer, clientSecret: string, now = Date.now()): Promise<VerifiedActionToken> {
  if (!header) throw refused("This request has no FLOWDOCK-TOKEN header, so it did not come from Flowdock.");
  if (header.length > MAX_TOKEN_LENGTH) throw refused("The FLOWDOCK-TOKEN header is not a valid token.");
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(header, new TextEncoder().encode(clientSecret), {
      algorithms: ["HS256"],
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["sub", "exp"],
      currentDate: new Date(now),
    }));
  } catch (err) {
    const expired = (err as { code?: string }).code === "ERR_JWT_EXPIRED";
    throw refused(expired ? "The FLOWDOCK-TOKEN has expired. Press the action again." : "The FLOWDOCK-TOKEN is not valid for Tracker.", err);
  }
  const sub = claims.sub;
  const exp = claims.exp as number;
  if (typeof sub !== "string" || !/^[\w.:@-]{1,128}$/.test(sub)) throw refused("The FLOWDOCK-TOKEN names no Flowdock user.");
  if (exp > now / 1000 + LONGEST_LIFETIME_SECONDS) throw refused("The FLOWDOCK-TOKEN lives longer than Flowdock's tokens do.");
  if (!bodyMatches(claims.signature, rawBody)) {
    throw new AppError("FORBIDDEN", "The request body does not match the FLOWDOCK-TOKEN's signature, so it was changed on the way.");
  }
  // The signature part of a JWT is base64url, whose last character has spare
  // bits: the same token can be written more than one way. Its header and
  // claims cannot (the HMAC covers them as sent), so they identify it.
  const signedPart = header.slice(0, header.lastIndexOf("."));
  return { flowdockUserId: sub, replayKey: sha256Hex(Buffer.from(signedPart)), expiresAt: new Date((exp + CLOCK_SKEW_SECONDS) * 1000) };
}

function bodyMatches(signature: unknown, rawBody: Buffer): boolean {
  if (typeof signature !== "string") return false;
  const expected = Buffer.from(sha256Hex(rawBody));
  const given = Buffer.from(signature.toLowerCase());
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

export function sha256Hex(data: Buffer | string): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

function refused(message: string, cause?: unknown): AppError {
  return new AppError("UNAUTHENTICATED", message, { cause });
}
