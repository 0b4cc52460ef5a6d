// Whatever arrives at the action endpoint (malformed, truncated or forged
// tokens, bodies of any shape and content type, unknown issues and actions),
// the answer is a 4xx JSON error and nothing changes: never a 5xx (fast-check).
import fc from "fast-check";
import request from "supertest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { signedIn } from "../support/tracker.ts";
import { flowdockToken, linkDirectly } from "../support/thread-actions.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

let fd: LocalFlowdock;
let app: TestApp;
beforeAll(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
});
afterAll(async () => {
  await app.close();
  await fd.close();
});

const b64 = (text: string) => Buffer.from(text).toString("base64url");

it("when the action endpoint gets random tokens and bodies, it never answers 5xx and the issue never changes", async () => {
  const demo = await signedIn(app);
  const number = await demo.open({ title: "Fuzzed" });
  const issue = await app.db.issue.findFirstOrThrow({ where: { projectId: demo.project.id, number } });
  await linkDirectly(app, "demo@example.com");
  const before = await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } });

  const body = fc.oneof(fc.string({ maxLength: 200 }), fc.json(), fc.constant(""), fc.constant("{}"), fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a).toString("latin1")));
  const claims = fc.record({ sub: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), exp: fc.oneof(fc.integer(), fc.string(), fc.double()), signature: fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 })) }, { requiredKeys: [] });
  const token = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join(".")),
    claims.map((c) => `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify(c))}.sig`),
    claims.map((c) => `${b64('{"alg":"none"}')}.${b64(JSON.stringify(c))}.`),
    fc.string({ maxLength: 50 }).map((s) => `eyJ${s}`),
    fc.string({ maxLength: 20 }).map((s) => "a".repeat(5000) + s),
  );
  const action = fc.constantFrom("close", "reopen", "assign-to-me", "unassign", "delete", "%00", "..");
  const issueId = fc.oneof(fc.constant(issue.id), fc.string({ maxLength: 20 }).map(encodeURIComponent));
  const contentType = fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x");

  await fc.assert(fc.asyncProperty(token, body, action, issueId, contentType, fc.boolean(), async (t, b, a, id, type, signedRight) => {
    // Half of the time the token is genuine, but for another body.
    const header = signedRight ? await flowdockToken(`${b} `) : t;
    const res = await request(app.app).post(`/flowdock/actions/issues/${id}/${a}`).set("content-type", type).set("FLOWDOCK-TOKEN", header.replace(/[\r\n]/g, "")).send(b);
    expect(res.status, `${res.status} ${res.text}`).toBeGreaterThanOrEqual(400);
    expect(res.status, `${res.status} ${res.text}`).toBeLessThan(500);
  }), { numRuns: 200 });

  expect(await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).toEqual(before);
  expect((await request(app.app).get("/healthz")).status).toBe(200);
});
