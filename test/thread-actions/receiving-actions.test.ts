// The app's side of thread actions, over real HTTP: Flowdock's action requests
// are applied once when they are genuine, and every spoiled one (body, token,
// secret, expiry, replay, missing header, unknown person, non-member) is
// refused with a 401/403 JSON answer and nothing changed.
import type request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestFlowdock } from "../support/local-flowdock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectDemoProject, signedIn } from "../support/tracker.ts";
import { createAccount } from "../support/people.ts";
import { actionBody, actionPath, flowdockToken, linkDirectly, press, recordedActivities, sendAction } from "../support/thread-actions.ts";
import type { LocalFlowdock } from "../../src/local-flowdock/server.ts";
import { createApp } from "../../src/app.ts";
import { createDatabase } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/observability/logger.ts";

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

/** An open issue in the demo's Website project, connected to a flow so changes are queued for it. */
async function openIssue(title = "Footer link is broken") {
  await connectDemoProject(app, fd.url);
  const demo = await signedIn(app);
  const number = await demo.open({ title });
  const issue = await app.db.issue.findFirstOrThrow({ where: { projectId: demo.project.id, number } });
  return { demo, issue, number };
}

/** Everything an action could change. */
async function snapshot(issueId: string) {
  const issue = await app.db.issue.findUniqueOrThrow({ where: { id: issueId }, select: { status: true, assigneeId: true, updatedAt: true } });
  return { issue, recorded: (await recordedActivities(app)).length, links: await app.db.flowdockLink.count() };
}

async function expectRefused(res: request.Response, status: 401 | 403, before: Awaited<ReturnType<typeof snapshot>>, issueId: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers["content-type"]).toMatch(/application\/json/);
  expect(typeof res.body.error.message).toBe("string");
  expect(await snapshot(issueId)).toEqual(before);
}

describe("receiving a thread action from Flowdock", () => {
  it("when a linked member presses Close, the issue closes once, the flow gets the new thread with Reopen, and a second Close answers success and changes nothing", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const queued = (await recordedActivities(app)).length;

    const first = await press(app, issue.id, "close");
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ changed: true, message: "Closed #1 Footer link is broken.", issue: { status: "closed" } });
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).status).toBe("closed");
    const recorded = await recordedActivities(app);
    expect(recorded).toHaveLength(queued + 1);
    const posted = recorded.at(-1)!;
    expect(posted.title).toBe("closed the issue");
    expect(posted.thread.status?.color).toBe("red");
    expect(posted.thread.actions?.map((a) => a.name)).toEqual(["Open in Tracker", "Reopen", "Assign to me"]);

    const again = await press(app, issue.id, "close");
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, message: "#1 Footer link is broken was already closed." });
    expect(await recordedActivities(app)).toHaveLength(queued + 1);
  });

  it("when a linked member presses Assign to me and then Unassign, the issue follows and each post offers what fits", async () => {
    const { issue } = await openIssue();
    const dana = await linkDirectly(app, "demo@example.com");

    expect((await press(app, issue.id, "assign-to-me")).body.message).toBe("#1 Footer link is broken is now assigned to Dana Demo.");
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).assigneeId).toBe(dana.id);
    const assigned = (await recordedActivities(app)).at(-1)!;
    expect(assigned.thread.actions?.map((a) => a.name)).toEqual(["Open in Tracker", "Close", "Assign to me", "Unassign"]);
    expect(assigned.thread.fields?.[0]).toEqual({ label: "Assignee", value: "Dana Demo" });

    expect((await press(app, issue.id, "unassign")).status).toBe(200);
    expect((await app.db.issue.findUniqueOrThrow({ where: { id: issue.id } })).assigneeId).toBeNull();
  });

  it("when the body was changed after Flowdock signed it, the answer is 403 and nothing changes", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const before = await snapshot(issue.id);
    const path = actionPath(issue.id, "close");
    const body = actionBody("Close", `${app.config.appBaseUrl}${path}`);
    const token = await flowdockToken(body);
    await expectRefused(await sendAction(app, path, body.replace("Alice Anders", "Mallory"), token), 403, before, issue.id);
  });

  it("when the token was signed with another secret, the answer is 401 and nothing changes", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const before = await snapshot(issue.id);
    const path = actionPath(issue.id, "close");
    const body = actionBody("Close", path);
    await expectRefused(await sendAction(app, path, body, await flowdockToken(body, { secret: "another-application-secret-123" })), 401, before, issue.id);
  });

  it("when the token has expired (beyond the clock-skew allowance), the answer is 401 and nothing changes", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const before = await snapshot(issue.id);
    const path = actionPath(issue.id, "close");
    const body = actionBody("Close", path);
    const res = await sendAction(app, path, body, await flowdockToken(body, { expiresIn: -60 }));
    await expectRefused(res, 401, before, issue.id);
    expect(res.body.error.message).toContain("expired");
  });

  it("when a token claims to live far longer than Flowdock's 30 seconds, the answer is 401 and nothing changes", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const before = await snapshot(issue.id);
    const path = actionPath(issue.id, "close");
    const body = actionBody("Close", path);
    await expectRefused(await sendAction(app, path, body, await flowdockToken(body, { expiresIn: 3600 })), 401, before, issue.id);
  });

  it("when a used token is sent again (even with its signature re-encoded), the answer is 401 and the issue stays as it is", async () => {
    const { issue, demo, number } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const path = actionPath(issue.id, "close");
    const body = actionBody("Close", path);
    const token = await flowdockToken(body);
    expect((await sendAction(app, path, body, token)).status).toBe(200);
    expect((await demo.reopen(number)).status).toBe(303);

    const before = await snapshot(issue.id);
    await expectRefused(await sendAction(app, path, body, token), 401, before, issue.id);
    // base64url's last character carries spare bits: the same signature written differently.
    const last = token.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const twin = token.slice(0, -1) + alphabet[(alphabet.indexOf(last) & ~3) | ((alphabet.indexOf(last) + 1) & 3)];
    expect(twin).not.toBe(token);
    const res = await sendAction(app, path, body, twin);
    expect([401, 403]).toContain(res.status);
    expect(await snapshot(issue.id)).toEqual(before);
  });

  it("when two people press Close at the same moment, the issue closes once and both are told it is closed", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com", "1001");
    await linkDirectly(app, "sam@example.com", "1002");
    const queued = (await recordedActivities(app)).length;
    const answers = await Promise.all([press(app, issue.id, "close", "1001"), press(app, issue.id, "close", "1002")]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body.changed).sort()).toEqual([false, true]);
    expect(await recordedActivities(app)).toHaveLength(queued + 1);
  });

  it("when a used token reaches a second app instance on the same database, that instance refuses it too", async () => {
    const { issue, demo, number } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const path = actionPath(issue.id, "close");
    const body = actionBody("Close", path);
    const token = await flowdockToken(body);
    expect((await sendAction(app, path, body, token)).status).toBe(200);
    await demo.reopen(number);

    const secondDb = createDatabase(app.config.databaseUrl);
    try {
      const second = { ...app, app: createApp({ config: app.config, db: secondDb, logger: createLogger({ level: "silent", name: "second" }) }) };
      const before = await snapshot(issue.id);
      await expectRefused(await sendAction(second, path, body, token), 401, before, issue.id);
    } finally {
      await secondDb.$disconnect();
    }
  });

  it("when one token reaches two app instances at the same moment, exactly one of them accepts it", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const path = actionPath(issue.id, "assign-to-me");
    const body = actionBody("Assign to me", path);
    const token = await flowdockToken(body);
    const secondDb = createDatabase(app.config.databaseUrl);
    try {
      const second = { ...app, app: createApp({ config: app.config, db: secondDb, logger: createLogger({ level: "silent", name: "second" }) }) };
      const answers = await Promise.all([sendAction(app, path, body, token), sendAction(second, path, body, token)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
      expect(await app.db.usedActionToken.count()).toBe(1);
    } finally {
      await secondDb.$disconnect();
    }
  });

  it("when the FLOWDOCK-TOKEN header is missing, the answer is 401 and nothing changes", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const before = await snapshot(issue.id);
    const path = actionPath(issue.id, "close");
    await expectRefused(await sendAction(app, path, actionBody("Close", path), null), 401, before, issue.id);
  });

  it("when the linked person is not a member of the issue's project, the answer is a 403 that says so and nothing changes", async () => {
    const { issue } = await openIssue();
    await createAccount(app, "olga@example.com", "Olga Outsider");
    await linkDirectly(app, "olga@example.com");
    const before = await snapshot(issue.id);
    const res = await press(app, issue.id, "close");
    await expectRefused(res, 403, before, issue.id);
    expect(res.body.error.message).toContain("Olga Outsider is not a member of this issue's project");
  });

  it("when the issue's project is archived, the action is refused with the reason and nothing changes", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    await app.db.project.update({ where: { id: issue.projectId }, data: { archivedAt: new Date() } });
    const before = await snapshot(issue.id);
    const res = await press(app, issue.id, "close");
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("is archived, so it is read-only");
    expect(await snapshot(issue.id)).toEqual(before);
  });

  it("when the request comes through the app's CSRF-protected stack, it still needs no CSRF token (the JWT authenticates it)", async () => {
    const { issue } = await openIssue();
    await linkDirectly(app, "demo@example.com");
    const res = await press(app, issue.id, "close");
    expect(res.status, res.text).toBe(200);
    expect(res.headers["set-cookie"]).toBeUndefined();
  });
});
