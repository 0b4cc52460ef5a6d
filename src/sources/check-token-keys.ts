// At boot: can the configured TOKEN_ENCRYPTION_KEYS open the flow tokens already
// stored? A wrong key would otherwise go unnoticed until every delivery failed
// as "delivery failed" with no cause; refusing to start says what is wrong.
import type { Database } from "../db/prisma-client.ts";
import type { TokenCipher } from "../crypto/token-cipher.ts";

export class TokenKeysMismatchError extends Error {
  constructor(readonly keyIdsInData: string[], readonly configuredKeyIds: string[], readonly unopened: string[]) {
    super(
      `TOKEN_ENCRYPTION_KEYS can't open the flow tokens stored in the database. ` +
      `Tokens there are sealed with key ${list(keyIdsInData)}; the configured keys are ${list(configuredKeyIds)}; ` +
      `${list(unopened)} ${unopened.length === 1 ? "does" : "do"} not open them. ` +
      "Add the key(s) they were sealed with to TOKEN_ENCRYPTION_KEYS (after the current one) and start again; " +
      "`npm run tokens:reencrypt` then moves every token to the current key.",
    );
    this.name = "TokenKeysMismatchError";
  }
}

const list = (ids: string[]) => ids.map((id) => `"${id}"`).join(", ");

/** Opens one stored token per key id found in the data; throws TokenKeysMismatchError when any does not open. */
export async function checkTokenKeys(db: Database, cipher: TokenCipher, configuredKeyIds: string[]): Promise<{ keyIdsInData: string[] }> {
  const rows = await db.integration.findMany({ select: { encryptedFlowToken: true } });
  const sampleByKey = new Map<string, string>();
  for (const { encryptedFlowToken } of rows) {
    const keyId = encryptedFlowToken.split(".")[1] ?? "(unknown format)";
    if (!sampleByKey.has(keyId)) sampleByKey.set(keyId, encryptedFlowToken);
  }
  const unopened = [...sampleByKey].filter(([, sealed]) => !opens(cipher, sealed)).map(([keyId]) => keyId);
  const keyIdsInData = [...sampleByKey.keys()].sort();
  if (unopened.length) throw new TokenKeysMismatchError(keyIdsInData, configuredKeyIds, unopened.sort());
  return { keyIdsInData };
}

function opens(cipher: TokenCipher, sealed: string): boolean {
  try {
    cipher.decrypt(sealed);
    return true;
  } catch {
    return false;
  }
}
