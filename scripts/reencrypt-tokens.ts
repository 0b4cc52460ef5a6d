// `npm run tokens:reencrypt`: see src/sources/reencrypt-tokens.ts.
import { loadConfig } from "../src/config.ts";
import { createDatabase } from "../src/db/prisma-client.ts";
import { migrateDatabase } from "../src/db/migrator.ts";
import { createTokenCipher } from "../src/crypto/token-cipher.ts";
import { reencryptFlowTokens } from "../src/sources/reencrypt-tokens.ts";

const config = loadConfig();
await migrateDatabase(config.databaseUrl);
const db = createDatabase(config.databaseUrl);
const result = await reencryptFlowTokens(db, createTokenCipher(config.tokenEncryptionKeys));
console.log(`${result.reencrypted} of ${result.checked} flow tokens re-encrypted with key "${config.tokenEncryptionKeys[0]!.id}"`);
await db.$disconnect();
