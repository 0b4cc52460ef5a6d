// Flow tokens at rest: sealed with AES-256-GCM under a named key, unreadable
// when tampered with, and re-sealable under a new key so old keys can retire.
import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";
import { reencryptFlowTokens } from "../../src/sources/reencrypt-tokens.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const key = (id: string) => ({ id, key: crypto.randomBytes(32) });

describe("sealing flow tokens", () => {
  it("when a token is sealed, the ciphertext names its key, hides the token and opens again", () => {
    const cipher = createTokenCipher([key("k1")]);
    const sealed = cipher.encrypt("flow-token-secret");
    expect(sealed.startsWith("v1.k1.")).toBe(true);
    expect(sealed).not.toContain("flow-token-secret");
    expect(cipher.encrypt("flow-token-secret")).not.toBe(sealed);
    expect(cipher.decrypt(sealed)).toBe("flow-token-secret");
  });

  it("when a ciphertext is tampered with or relabelled, it does not open", () => {
    const k1 = key("k1");
    const cipher = createTokenCipher([k1, { id: "k2", key: k1.key }]);
    const sealed = cipher.encrypt("flow-token-secret");
    const parts = sealed.split(".");
    const flipped = [...parts.slice(0, 4), Buffer.from(Buffer.from(parts[4]!, "base64url").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64url")].join(".");
    expect(() => cipher.decrypt(flipped)).toThrow();
    expect(() => cipher.decrypt(["v1", "k2", ...parts.slice(2)].join("."))).toThrow();
    expect(() => cipher.decrypt(sealed.replace("v1.k1", "v1.nope"))).toThrow(/unknown key/);
  });
});

describe("rotating the token key", () => {
  let app: TestApp;
  beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
  afterEach(async () => { await app.close(); });

  it("when a new key is put first, re-encryption moves every token to it and the old key can go", async () => {
    const old = key("old");
    const fresh = key("new");
    const before = createTokenCipher([old]);
    const project = await app.db.project.findFirstOrThrow();
    const user = await app.db.user.findFirstOrThrow();
    const integration = await integrationsRepository(app.db, before).create({
      projectId: project.id, sourceId: 7, sourceName: "S", sourceUrl: "http://f/flows/a/b/sources/7", flowId: "f", flowUrl: "http://f/flows/a/b",
      flowWebUrl: "http://f/app/a/b", organizationName: "A", flowName: "B", createdByUserId: user.id, flowToken: "the-flow-token",
    });

    const rotating = createTokenCipher([fresh, old]);
    expect(await reencryptFlowTokens(app.db, rotating)).toEqual({ checked: 1, reencrypted: 1 });
    expect(await reencryptFlowTokens(app.db, rotating)).toEqual({ checked: 1, reencrypted: 0 });

    const onlyNew = integrationsRepository(app.db, createTokenCipher([fresh]));
    expect(await onlyNew.openFlowToken(integration.id)).toBe("the-flow-token");
  });
});
