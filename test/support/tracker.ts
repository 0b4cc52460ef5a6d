// Driving the example domain as a signed-in person, and connecting its demo
// project to acme/main directly (the setup flow has its own tests).
import request from "supertest";
import { expect } from "vitest";
import type { TestApp } from "./app.ts";
import { csrfFrom } from "./browser.ts";
import { api, createSource, passwordToken } from "./local-flowdock.ts";
import { integrationsRepository } from "../../src/sources/integrations.repository.ts";
import { createTokenCipher } from "../../src/crypto/token-cipher.ts";

export async function signedIn(app: TestApp, email = "demo@example.com", password = "demo") {
  const agent = request.agent(app.app);
  const page = await agent.get("/sign-in");
  await agent.post("/sign-in").type("form").send({ _csrf: csrfFrom(page.text), email, password }).expect(303);
  const csrf = csrfFrom((await agent.get("/projects")).text);
  const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
  const base = `/projects/${project.id}/issues`;
  const post = (path: string, fields: Record<string, string> = {}) => agent.post(path).type("form").redirects(0).send({ _csrf: csrf, ...fields });
  return {
    agent, project, csrf,
    async open(fields: Record<string, string>): Promise<number> {
      const res = await post(base, fields);
      expect(res.status, res.text).toBe(303);
      return Number(String(res.headers.location).split("/").pop());
    },
    edit: (n: number, fields: Record<string, string>) => post(`${base}/${n}`, fields),
    close: (n: number) => post(`${base}/${n}/close`),
    reopen: (n: number) => post(`${base}/${n}/reopen`),
    comment: (n: number, body: string) => post(`${base}/${n}/comments`, { body }),
  };
}

/** A real source in acme/main, recorded as an integration of the demo's Website project. */
export async function connectDemoProject(app: TestApp, flowdockUrl: string, name = "Website") {
  const { source, userToken } = await createSource(flowdockUrl, name);
  const project = await app.db.project.findFirstOrThrow({ where: { name: "Website" } });
  const user = await app.db.user.findFirstOrThrow({ where: { email: "demo@example.com" } });
  const flow = (await api(flowdockUrl, "/flows/acme/main", { token: userToken })).body as { id: string; url: string; web_url: string };
  const integration = await integrationsRepository(app.db, createTokenCipher(app.config.tokenEncryptionKeys)).create({
    projectId: project.id, sourceId: source.id, sourceName: source.name, sourceUrl: source.url, flowId: flow.id, flowUrl: flow.url,
    flowWebUrl: flow.web_url, organizationName: "Acme Inc", flowName: "Main", createdByUserId: user.id, flowToken: source.flow_token,
  });
  return { integration, source, userToken };
}

export interface ReadMessage {
  id: number;
  event: string;
  title: string | null;
  body: string | null;
  uuid: string | null;
  external_thread_id?: string;
  thread: { title: string; status?: { color: string; value: string }; fields?: { label: string; value: string }[] };
}

/** Every message of acme/main, oldest first, paging through since_id. */
export async function allMessages(flowdockUrl: string, flow = "main"): Promise<ReadMessage[]> {
  const token = await passwordToken(flowdockUrl, "alice@example.com");
  const all: ReadMessage[] = [];
  for (;;) {
    const since = all.length ? all[all.length - 1]!.id : 0;
    const page = (await api(flowdockUrl, `/flows/acme/${flow}/messages?since_id=${since}&limit=100`, { token })).body as ReadMessage[];
    all.push(...page);
    if (page.length < 100) return all;
  }
}

export async function until(check: () => Promise<boolean>, timeoutMs = 15_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
