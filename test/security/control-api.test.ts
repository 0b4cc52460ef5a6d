// The local Flowdock's control API can wipe it, so no other web site may drive
// it through a visitor's browser: JSON bodies only and the Origin checked. And
// where each server listens is the HOST setting: this machine only by default
// in development, so neither server is open to the network by accident.
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { createSource, startTestFlowdock } from "../support/local-flowdock.ts";
import { loadConfig } from "../../src/config.ts";
import { localFlowdockOptions } from "../../src/local-flowdock/options.ts";
import { startLocalFlowdock, type LocalFlowdock } from "../../src/local-flowdock/server.ts";
import { createLogger } from "../../src/observability/logger.ts";

let fd: LocalFlowdock;
afterEach(async () => { await fd.close(); });

const sourceCount = (f: LocalFlowdock) => (f.store.db.prepare("SELECT COUNT(*) AS n FROM sources").get() as { n: number }).n;

describe("the control API refuses cross-site requests", () => {
  it("when another site's form posts to /_simulator/reset, nothing is wiped", async () => {
    fd = await startTestFlowdock();
    await createSource(fd.url);
    for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]) {
      const res = await request(fd.url).post("/_simulator/reset").set("origin", "http://evil.example").set("content-type", type).send("a=b");
      expect(res.status, type).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const plain = await request(fd.url).post("/_simulator/reset").set("content-type", "text/plain").send("{}");
    expect(plain.status).toBe(415);
    expect(sourceCount(fd)).toBe(1);
  });

  it("when JSON comes with another site's Origin, or marked cross-site by the browser, it is refused with 403", async () => {
    fd = await startTestFlowdock();
    await createSource(fd.url);
    const evil = await request(fd.url).post("/_simulator/clock").set("origin", "http://evil.example").send({ advanceMs: 1 });
    expect(evil.status).toBe(403);
    const crossSite = await request(fd.url).post("/_simulator/reset").set("sec-fetch-site", "cross-site").send({});
    expect(crossSite.status).toBe(403);
    expect(evil.body.message).toMatch(/other sites/i);
    expect(sourceCount(fd)).toBe(1);
  });

  it("when a test or a tool sends JSON without an Origin, or the local Flowdock's own pages do, it works", async () => {
    fd = await startTestFlowdock();
    expect((await request(fd.url).post("/_simulator/clock").send({ advanceMs: 1 })).status).toBe(200);
    expect((await request(fd.url).post("/_simulator/clock").set("origin", new URL(fd.url).origin).send({ advanceMs: 1 })).status).toBe(200);
    expect((await request(fd.url).post("/_simulator/reset")).status).toBe(200);
  });
});

describe("where the servers listen", () => {
  it("when HOST is not set, development and test listen on this machine only and production on every interface; HOST overrides", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "test" }).host).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "production", SESSION_SECRET: "x".repeat(40), TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString("base64")}` }).host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "::" }).host).toBe("::");
    expect(() => loadConfig({ HOST: "bad host!" })).toThrow(/HOST/);
  });

  it("when the local Flowdock starts from the config, it listens on the configured host", async () => {
    const config = loadConfig({ SIMULATOR_PORT: "0", SIMULATOR_DATABASE: ":memory:" });
    fd = await startLocalFlowdock({ ...localFlowdockOptions(config, createLogger({ level: "silent", name: "t" })), baseUrl: undefined });
    expect(fd.address.address).toBe("127.0.0.1");
  });
});
