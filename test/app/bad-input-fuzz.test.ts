// Whatever arrives, the answer is a clear 4xx (or a success for valid input),
// never a 500 and never a crash: random JSON and form bodies thrown at the
// local Flowdock's POST /messages and at the app's forms (fast-check).
import fc from "fast-check";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSource, startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { signedIn } from "../support/tracker.ts";
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

// Values shaped like the real fields, and anything else besides.
const wild = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }));

describe("random input", () => {
  it("when POST /messages gets arbitrary JSON with a valid flow token, it answers 2xx or a 4xx with a message", async () => {
    const { source } = await createSource(fd.url);
    const body = fc.record({
      event: fc.oneof(fc.constantFrom("activity", "discussion"), wild),
      title: wild, body: wild, author: fc.oneof(fc.record({ name: wild, email: wild, avatar: wild }), wild),
      external_thread_id: wild, thread_id: wild, uuid: wild, tags: wild,
      thread: fc.oneof(fc.record({ title: wild, status: fc.oneof(fc.record({ color: wild, value: wild }), wild), fields: wild, external_url: wild, actions: wild }), wild),
    }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(body, async (b) => {
      const res = await request(fd.url).post("/messages").send({ ...b, flow_token: source.flow_token });
      expect([200, 202, 400]).toContain(res.status);
      if (res.status === 400) expect(typeof res.body.message).toBe("string");
    }), { numRuns: 150 });
  });

  it("when the app's forms get arbitrary fields, nothing answers 5xx", async () => {
    const demo = await signedIn(app);
    const form = fc.dictionary(fc.constantFrom("title", "description", "priority", "labels", "assigneeId", "body", "name", "email", "password", "projectId", "sourceName", "sendKinds", "x"), fc.string({ maxLength: 300 }), { maxKeys: 6 });
    const paths = [`/projects/${demo.project.id}/issues`, "/projects", "/sign-up", `/projects/${demo.project.id}/issues/1/comments`, "/flowdock/setup/nope", "/flowdock/configure?integration_id=1&flow=f"];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), form, async (path, fields) => {
      const res = await demo.agent.post(path).type("form").send({ _csrf: demo.csrf, ...fields }).redirects(0);
      expect(res.status).toBeLessThan(500);
    }), { numRuns: 150 });
    expect((await request(app.app).get("/healthz")).status).toBe(200);
  });

  it("when query strings are arbitrary, the setup and configuration URIs answer 3xx or 4xx, never 5xx", async () => {
    const demo = await signedIn(app);
    const query = fc.dictionary(fc.constantFrom("flow", "flow_url", "integration_id", "source", "source_url", "state", "code", "error"), fc.string({ maxLength: 200 }), { maxKeys: 4 });
    await fc.assert(fc.asyncProperty(fc.constantFrom("/flowdock/setup", "/flowdock/configure", "/auth/flowdock/callback"), query, async (path, q) => {
      const res = await demo.agent.get(`${path}?${new URLSearchParams(q)}`).redirects(0);
      expect(res.status).toBeLessThan(500);
    }), { numRuns: 150 });
  });
});
