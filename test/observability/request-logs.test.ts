// Every log line written while a request is handled carries that request's id,
// which is also sent back as X-Request-Id; an id from the load balancer is kept
// only when it is well-formed.
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
beforeEach(async () => { app = await startTestApp("http://127.0.0.1:9"); });
afterEach(async () => { await app.close(); });

function linesOf(a: TestApp): Record<string, unknown>[] {
  return a.logText().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("request ids in the logs", () => {
  it("when a request fails, the error handler's line and the request line both carry the id the load balancer sent, and the response echoes it", async () => {
    const res = await request(app.app).get("/no-such-page").set("x-request-id", "lb-4f9c2a7e-0001").set("accept", "application/json");
    expect(res.headers["x-request-id"]).toBe("lb-4f9c2a7e-0001");
    const lines = linesOf(app).filter((l) => l.reqId === "lb-4f9c2a7e-0001");
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["Page not found", "request completed"]));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // No line about this request goes out without its id.
    const unlabelled = linesOf(app).filter((l) => l.reqId === undefined && JSON.stringify(l).includes("/no-such-page"));
    expect(unlabelled).toEqual([]);
  });

  it("when the incoming X-Request-Id is malformed (spaces, quotes, too long), a fresh id is used instead", async () => {
    for (const bad of ['abc def "x"', "short", "x".repeat(200), "id;with-semicolon", "-leading-dash"]) {
      const res = await request(app.app).get("/healthz").set("x-request-id", bad);
      expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    }
    const res = await request(app.app).get("/nope");
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const ids = new Set(linesOf(app).map((l) => l.reqId).filter(Boolean));
    expect(ids.has(res.headers["x-request-id"])).toBe(true);
  });
});
