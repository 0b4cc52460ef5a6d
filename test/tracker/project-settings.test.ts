// A project's life as its owners decide it: archived (read-only, shown as
// such), unarchived, and deleted after a confirmation, but never while an
// integration still posts from it to a flow.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ADMIN, DANA, SAM, flashOn, signIn, userId, website } from "../support/people.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";

let app: TestApp;
let projectId: string;
beforeEach(async () => {
  app = await startTestApp("http://127.0.0.1:9");
  projectId = (await website(app)).id;
});
afterEach(async () => { await app.close(); });

async function connect(sourceId: number, flowName: string) {
  return integrationsRepository(app.db, createTokenCipher(app.config.tokenEncryptionKeys)).create({
    projectId, sourceId, sourceName: `Website ${sourceId}`, sourceUrl: `http://f/flows/acme/${flowName}/sources/${sourceId}`, flowId: `flow-${flowName}`,
    flowUrl: `http://f/flows/acme/${flowName}`, flowWebUrl: `http://f/app/acme/${flowName}`, organizationName: "Acme Inc", flowName,
    createdByUserId: await userId(app, DANA.email), flowToken: "secret-flow-token",
  });
}

const issueCount = () => app.db.issue.count({ where: { projectId } });

describe("archiving a project", () => {
  it("when an owner archives the project, it is shown as archived and no issue can be opened, edited, closed or commented until it is unarchived", async () => {
    const dana = await signIn(app, DANA);
    const issues = `/projects/${projectId}/issues`;
    expect((await dana.post(issues, { title: "Before archiving" })).status).toBe(303);

    const archived = await dana.post(`/projects/${projectId}/archive`);
    expect(archived.status).toBe(303);
    expect(flashOn((await dana.get(`/projects/${projectId}/settings`)).text)).toBe("“Website” is archived: it is read-only now.");
    expect((await dana.get("/projects")).text).toMatch(/Website<\/a> <span class="badge warn">archived<\/span>/);
    const page = await dana.get(`/projects/${projectId}`);
    expect(page.text).toContain("This project is archived");
    expect((await dana.get(issues)).text).not.toContain("New issue");
    expect((await dana.get(`${issues}/1`)).text).not.toContain("Add a comment");

    const sam = await signIn(app, SAM);
    for (const attempt of [
      sam.post(issues, { title: "While archived" }),
      dana.post(`${issues}/1`, { title: "Renamed while archived" }),
      dana.post(`${issues}/1/close`),
      sam.post(`${issues}/1/comments`, { body: "Anyone there?" }),
      dana.get(`${issues}/new`),
      dana.get(`${issues}/1/edit`),
    ]) {
      const res = await attempt;
      expect(res.status).toBe(409);
      expect(res.text).toContain("is archived, so it is read-only");
    }
    expect(await issueCount()).toBe(1);
    const issue = await app.db.issue.findFirstOrThrow({ where: { projectId } });
    expect([issue.title, issue.status]).toEqual(["Before archiving", "open"]);
    expect(await app.db.comment.count()).toBe(0);
    expect((await sam.get(`${issues}/1`)).status).toBe(200);

    expect((await dana.post(`/projects/${projectId}/unarchive`)).status).toBe(303);
    expect(flashOn((await dana.get(`/projects/${projectId}/settings`)).text)).toContain("“Website” is active again");
    expect((await sam.post(`${issues}/1/comments`, { body: "Back again" })).status).toBe(303);
    expect((await app.db.project.findUniqueOrThrow({ where: { id: projectId } })).archivedAt).toBeNull();
  });

  it("when the project has integrations, archiving says they are paused until it is unarchived", async () => {
    await connect(11, "main");
    const dana = await signIn(app, DANA);
    await dana.post(`/projects/${projectId}/archive`).expect(303);
    expect(flashOn((await dana.get(`/projects/${projectId}/settings`)).text)).toContain("Its Flowdock integrations (1) are paused");
  });

  it("when a member or a non-member tries to archive, see the settings or delete, they are refused and nothing changes", async () => {
    const sam = await signIn(app, SAM);
    expect((await sam.get(`/projects/${projectId}`)).text).not.toContain("/settings\"");
    for (const res of [await sam.get(`/projects/${projectId}/settings`), await sam.post(`/projects/${projectId}/archive`), await sam.get(`/projects/${projectId}/delete`), await sam.post(`/projects/${projectId}/delete`, { confirmName: "Website" })]) {
      expect(res.status).toBe(403);
      expect(res.text).toContain("Only an owner of “Website”");
    }
    const admin = await signIn(app, ADMIN);
    expect((await admin.post(`/projects/${projectId}/archive`)).status).toBe(404);
    expect((await admin.post(`/projects/${projectId}/delete`, { confirmName: "Website" })).status).toBe(404);
    const project = await app.db.project.findUnique({ where: { id: projectId } });
    expect(project?.archivedAt).toBeNull();
  });

  it("when the archive or delete form comes without its CSRF token, it is refused and nothing changes", async () => {
    const dana = await signIn(app, DANA);
    expect((await dana.forge(`/projects/${projectId}/archive`)).status).toBe(403);
    expect((await dana.forge(`/projects/${projectId}/delete`, { confirmName: "Website" })).status).toBe(403);
    const project = await app.db.project.findUnique({ where: { id: projectId } });
    expect(project?.archivedAt).toBeNull();
  });
});

describe("deleting a project", () => {
  it("when the owner confirms with the project's name, the project and its issues are gone and the projects page says so", async () => {
    const dana = await signIn(app, DANA);
    await dana.post(`/projects/${projectId}/issues`, { title: "Doomed" }).expect(303);
    const confirm = await dana.get(`/projects/${projectId}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain("This deletes 1 issue with their comments, and takes the project away from its 2 people.");

    const wrong = await dana.post(`/projects/${projectId}/delete`, { confirmName: "Webs" });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("Type the project&#39;s name exactly as shown to confirm.");
    expect(wrong.text).toContain('value="Webs"');
    expect(await issueCount()).toBe(1);

    const done = await dana.post(`/projects/${projectId}/delete`, { confirmName: "Website" });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("/projects");
    expect(flashOn((await dana.get("/projects")).text)).toBe("“Website” was deleted, with its issues and comments.");
    expect(await app.db.project.findUnique({ where: { id: projectId } })).toBeNull();
    expect(await issueCount()).toBe(0);
    expect((await dana.get(`/projects/${projectId}`)).status).toBe(404);
  });

  it("when the project still posts to flows, deleting is refused with each integration and a link to where it is disconnected", async () => {
    const main = await connect(11, "main");
    await connect(12, "support");
    const dana = await signIn(app, DANA);
    const page = await dana.get(`/projects/${projectId}/delete`);
    expect(page.text).toContain("This project still posts to Flowdock");
    expect(page.text).not.toContain('action="/projects/' + projectId + '/delete"');

    const res = await dana.post(`/projects/${projectId}/delete`, { confirmName: "Website" });
    expect(res.status).toBe(409);
    expect(res.text).toContain("“Website 11” in Acme Inc / main");
    expect(res.text).toContain("“Website 12” in Acme Inc / support");
    expect(res.text).toContain(`href="/flowdock/configure?integration_id=11&amp;flow=flow-main"`);
    expect(res.text).toContain(`href="/flowdock/configure?integration_id=12&amp;flow=flow-support"`);
    expect(await app.db.project.findUnique({ where: { id: projectId } })).not.toBeNull();
    expect(await app.db.integration.findUnique({ where: { id: main.id } })).not.toBeNull();
  });
});
