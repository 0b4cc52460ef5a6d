// Key rotation for stored flow tokens: re-seals every token that is not sealed
// with the current (first) key, so the old key can then be dropped from
// TOKEN_ENCRYPTION_KEYS. `npm run tokens:reencrypt`; safe to run twice.
import type { Database } from "../db/prisma-client.ts";
import type { TokenCipher } from "../crypto/token-cipher.ts";

export async function reencryptFlowTokens(db: Database, cipher: TokenCipher): Promise<{ checked: number; reencrypted: number }> {
  const rows = await db.integration.findMany({ select: { id: true, encryptedFlowToken: true } });
  let reencrypted = 0;
  for (const row of rows) {
    if (!cipher.needsRotation(row.encryptedFlowToken)) continue;
    const sealed = cipher.encrypt(cipher.decrypt(row.encryptedFlowToken));
    // Only if nobody changed it meanwhile.
    const { count } = await db.integration.updateMany({ where: { id: row.id, encryptedFlowToken: row.encryptedFlowToken }, data: { encryptedFlowToken: sealed } });
    reencrypted += count;
  }
  return { checked: rows.length, reencrypted };
}
