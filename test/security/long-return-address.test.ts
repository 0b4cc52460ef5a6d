// Found by the all-routes fuzz: a signed-out request to a page behind sign-in
// with a very long address was sent to sign in with that whole address in the
// Location header, which clients refuse past 16 KB (Node: "Header overflow").
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";

// Under the servers' 16 KB limit as a request, over it once encoded again into
// a Location header (each "%22" becomes "%2522").
const LONG = "%22".repeat(4_000);

let fd: LocalFlowdock;
let app: TestApp;
beforeEach(async () => {
  fd = await startTestFlowdock();
  app = await startTestApp(fd.url);
});
afterEach(async () => {
  await app.close();
  await fd.close();
});

describe("coming back after signing in", () => {
  it("when a signed-out person opens a local Flowdock page with a very long address, they are sent to sign in with a short way back", async () => {
    const res = await request(fd.url).get(`/app?q=${LONG}`).expect(302);
    expect(res.headers.location).toBe(`/login?return_to=${encodeURIComponent("/app")}`);
  });

  it("when a signed-out person opens one of the app's pages with a very long address, the address is not kept for after signing in", async () => {
    const agent = request.agent(app.app);
    await agent.get(`/projects?q=${LONG}`).expect(303);
    const page = await agent.get("/sign-in").expect(200);
    expect(page.text).not.toContain("%22%22%22");
    expect(await app.db.session.count()).toBe(0);
  });
});
