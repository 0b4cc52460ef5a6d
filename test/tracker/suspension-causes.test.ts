// Each way the person who connected an integration loses access, and archiving
// the project, suspends the integration through the one recipient rule
// (recipientsFor); undoing the cause lifts it. The flow's error_message is
// the lifecycle's reconciler's job and tested there.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ADMIN, DANA, SAM, signIn, userId, website } from "../support/people.ts";
import { recipientsFor } from "../../src/activity-forwarding/recipients.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";

let app: TestApp;
let projectId: string;
beforeEach(async () => {
  app = await startTestApp("http://127.0.0.1:9");
  projectId = (await website(app)).id;
  // Sam, a member, connected the project to a flow.
  await integrationsRepository(app.db, createTokenCipher(app.config.tokenEncryptionKeys)).create({
    projectId, sourceId: 5, sourceName: "Website", sourceUrl: "http://f/flows/acme/main/sources/5", flowId: "flow-main", flowUrl: "http://f/flows/acme/main",
    flowWebUrl: "http://f/app/acme/main", organizationName: "Acme Inc", flowName: "Main", createdByUserId: await userId(app, SAM.email), flowToken: "t",
  });
});
afterEach(async () => { await app.close(); });

async function suspension() {
  const [recipient] = await recipientsFor(app.db, projectId);
  return recipient?.suspension;
}

describe("what suspends an integration", () => {
  it("when nothing is wrong, the integration is not suspended", async () => {
    expect(await suspension()).toBeNull();
  });

  it("when an owner removes the member who connected it, it is suspended as the connector left, and adding them back lifts it", async () => {
    const dana = await signIn(app, DANA);
    const res = await dana.post(`/projects/${projectId}/members/${await userId(app, SAM.email)}/remove`);
    expect(res.status).toBe(303);
    expect(await suspension()).toBe("connector_left");
    const page = await dana.get(`/projects/${projectId}/members`);
    expect(page.text).toContain("The Flowdock integration they connected (Acme Inc / Main) is paused until a project member takes it over");
    await dana.post(`/projects/${projectId}/members`, { email: SAM.email }).expect(303);
    expect(await suspension()).toBeNull();
  });

  it("when the member who connected it leaves the project, it is suspended as the connector left", async () => {
    const sam = await signIn(app, SAM);
    await sam.post(`/projects/${projectId}/leave`).expect(303);
    expect(await suspension()).toBe("connector_left");
  });

  it("when the administrator disables the connector's account, it is suspended as disabled, and enabling lifts it", async () => {
    const admin = await signIn(app, ADMIN);
    const sam = await userId(app, SAM.email);
    await admin.post(`/admin/accounts/${sam}/disable`).expect(303);
    expect(await suspension()).toBe("connector_disabled");
    await admin.post(`/admin/accounts/${sam}/enable`).expect(303);
    expect(await suspension()).toBeNull();
  });

  it("when the connector deletes their account, it is suspended as deleted (the scrubbed row still counts as deleted)", async () => {
    const sam = await signIn(app, SAM);
    await sam.post("/account/delete", { password: SAM.password }).expect(303);
    expect(await app.db.user.count({ where: { id: await app.db.integration.findFirstOrThrow().then((i) => i.createdByUserId) } })).toBe(1);
    expect(await suspension()).toBe("connector_deleted");
  });

  it("when an owner archives the project, it is suspended as archived, and unarchiving lifts it", async () => {
    const dana = await signIn(app, DANA);
    await dana.post(`/projects/${projectId}/archive`).expect(303);
    expect(await suspension()).toBe("project_archived");
    await dana.post(`/projects/${projectId}/unarchive`).expect(303);
    expect(await suspension()).toBeNull();
  });
});
