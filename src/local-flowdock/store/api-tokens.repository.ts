// Personal API tokens: HTTP Basic with the token as the username. Stored as a
// SHA-256 hash, so the full token is shown only when it is generated.
import { randomToken, sha256 } from "../../crypto/random.ts";
import type { SqliteDatabase } from "./database.ts";

export interface ApiTokenRow { user_id: number; token_hash: string; hint: string; created_at: string }

export function apiTokensRepository(db: SqliteDatabase, now: () => number) {
  return {
    /** Replaces the user's token with a new one and answers it (the only time it can be read). */
    regenerate(userId: number): string {
      const token = randomToken(24);
      db.prepare(`INSERT INTO api_tokens (user_id, token_hash, hint, created_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, hint = excluded.hint, created_at = excluded.created_at`)
        .run(userId, sha256(token), token.slice(-4), new Date(now()).toISOString());
      return token;
    },
    ofUser: (userId: number) => db.prepare<[number], ApiTokenRow>("SELECT * FROM api_tokens WHERE user_id = ?").get(userId),
    userIdByToken: (token: string) =>
      db.prepare<[string], { user_id: number }>("SELECT user_id FROM api_tokens WHERE token_hash = ?").get(sha256(token))?.user_id,
  };
}

export type ApiTokensRepository = ReturnType<typeof apiTokensRepository>;
