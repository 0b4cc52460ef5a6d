// The sign-in link of an authentication challenge carries a short-lived claim
// for the Flowdock user who pressed the action (the pattern Flowdock's
// bidirectional-integration guide recommends): linking only succeeds when the
// Flowdock account the person then authorizes with is that same user. The key
// is derived from SESSION_SECRET, so no extra secret has to be configured, and
// it is only ever used for these claims.
import crypto from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import { AppError } from "../errors.ts";
import { CLOCK_SKEW_SECONDS } from "./flowdock-token.ts";

const AUDIENCE = "tracker:flowdock-link";
export const CLAIM_LIFETIME_SECONDS = 15 * 60;

export function linkClaims(sessionSecret: string) {
  const key = new Uint8Array(crypto.hkdfSync("sha256", sessionSecret, "", "tracker flowdock link claim", 32));
  return {
    sign(flowdockUserId: string, now = Date.now()): Promise<string> {
      const iat = Math.floor(now / 1000);
      return new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(flowdockUserId).setAudience(AUDIENCE)
        .setIssuedAt(iat).setExpirationTime(iat + CLAIM_LIFETIME_SECONDS).sign(key);
    },
    /** The Flowdock user id the claim was made for. */
    async verify(claim: unknown, now = Date.now()): Promise<string> {
      try {
        if (typeof claim !== "string" || claim.length > 2048) throw new Error("not a claim");
        const { payload } = await jwtVerify(claim, key, { algorithms: ["HS256"], audience: AUDIENCE, clockTolerance: CLOCK_SKEW_SECONDS, requiredClaims: ["sub", "exp"], currentDate: new Date(now) });
        return payload.sub!;
      } catch (cause) {
        throw new AppError("BAD_REQUEST", "This sign-in link has expired or is not valid. Go back to the flow and press the action again: Flowdock will show a fresh link.", {
          cause, title: "This link can't be used",
        });
      }
    },
  };
}

export type LinkClaims = ReturnType<typeof linkClaims>;
