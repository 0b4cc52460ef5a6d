// OAuth grants: authorization codes, access tokens and refresh tokens, stored as
// SHA-256 hashes. One authorization (a "grant") links a code to every token that
// came from it, so a replayed code can revoke them all (RFC 6749 §4.1.2).
import { randomToken, sha256 } from "../../crypto/random.ts";
import type { SqliteDatabase } from "./database.ts";

export interface CodeRow { code_hash: string; application_id: number; user_id: number; redirect_uri: string | null; scope: string; expires_at: number; used_at: number | null; code_challenge: string | null }
export interface AccessTokenRow { token_hash: string; application_id: number; user_id: number; scope: string; expires_at: number; grant_id: string }
export interface RefreshTokenRow { token_hash: string; application_id: number; user_id: number; scope: string; grant_id: string; revoked_at: number | null }

export function grantsRepository(db: SqliteDatabase, now: () => number) {
  return {
    createCode(input: { applicationId: number; userId: number; redirectUri: string | null; scope: string; ttlSeconds: number; codeChallenge?: string | null }): string {
      const code = randomToken(24);
      db.prepare(`INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, scope, expires_at, code_challenge) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(sha256(code), input.applicationId, input.userId, input.redirectUri, input.scope, now() + input.ttlSeconds * 1000, input.codeChallenge ?? null);
      return code;
    },
    codeByValue: (code: string) => db.prepare<[string], CodeRow>("SELECT * FROM authorization_codes WHERE code_hash = ?").get(sha256(code)),
    /** Marks the code used; false when it already was (a replay). */
    useCode: (code: string) => db.prepare("UPDATE authorization_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL").run(now(), sha256(code)).changes === 1,
    issueTokens(input: { applicationId: number; userId: number; scope: string; ttlSeconds: number; grantId: string; withRefresh: boolean }) {
      const accessToken = randomToken(32);
      db.prepare(`INSERT INTO access_tokens (token_hash, application_id, user_id, scope, expires_at, grant_id) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(sha256(accessToken), input.applicationId, input.userId, input.scope, now() + input.ttlSeconds * 1000, input.grantId);
      let refreshToken: string | undefined;
      if (input.withRefresh) {
        refreshToken = randomToken(32);
        db.prepare(`INSERT INTO refresh_tokens (token_hash, application_id, user_id, scope, grant_id) VALUES (?, ?, ?, ?, ?)`)
          .run(sha256(refreshToken), input.applicationId, input.userId, input.scope, input.grantId);
      }
      return { accessToken, refreshToken };
    },
    accessToken: (token: string) => db.prepare<[string], AccessTokenRow>("SELECT * FROM access_tokens WHERE token_hash = ?").get(sha256(token)),
    refreshToken: (token: string) => db.prepare<[string], RefreshTokenRow>("SELECT * FROM refresh_tokens WHERE token_hash = ?").get(sha256(token)),
    /** Revokes one refresh token; false when it was already revoked (a replay). */
    revokeRefreshToken: (token: string) => db.prepare("UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL").run(now(), sha256(token)).changes === 1,
    revokeGrant(grantId: string) {
      db.prepare("DELETE FROM access_tokens WHERE grant_id = ?").run(grantId);
      db.prepare("UPDATE refresh_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL").run(now(), grantId);
    },
  };
}

export type GrantsRepository = ReturnType<typeof grantsRepository>;
