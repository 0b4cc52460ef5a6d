// Encrypts tokens at rest with AES-256-GCM. Each ciphertext names the key that
// made it ("v1.<keyId>.<iv>.<tag>.<data>"), so keys can rotate: the first
// configured key encrypts, every configured key decrypts.
import crypto from "node:crypto";

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface TokenCipher {
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
  /** True when the value was sealed with a key other than the current one. */
  needsRotation(sealed: string): boolean;
}

const VERSION = "v1";

export function createTokenCipher(keys: EncryptionKey[]): TokenCipher {
  const [current] = keys;
  if (!current) throw new Error("at least one token encryption key is needed");
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  return {
    encrypt(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv("aes-256-gcm", current.key, iv);
      // The key id is authenticated too, so a ciphertext can't be relabelled.
      cipher.setAAD(Buffer.from(`${VERSION}.${current.id}`));
      const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, current.id, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), data.toString("base64url")].join(".");
    },
    decrypt(sealed) {
      const [version, keyId, iv, tag, data] = sealed.split(".");
      const key = keyId ? byId.get(keyId) : undefined;
      if (version !== VERSION || !key || !iv || !tag || data === undefined) {
        throw new Error(`cannot decrypt token sealed with ${version === VERSION ? `unknown key "${keyId}"` : "an unknown format"}`);
      }
      const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
    },
    needsRotation(sealed) {
      return sealed.split(".")[1] !== current.id;
    },
  };
}
