// People of the example domain for tests about membership and accounts: the
// demo's accounts signed in over HTTP, and further accounts made directly.
import request from "supertest";
import type { TestApp } from "./app.ts";
import { csrfFrom } from "./browser.ts";
import { hashPassword } from "../../src/crypto/password.ts";
import { DEMO_ADMIN, DEMO_MEMBER, DEMO_USER } from "../../src/demo-seed.ts";

export const DANA = DEMO_USER;
export const SAM = DEMO_MEMBER;
export const ADMIN = DEMO_ADMIN;

export type Person = Awaited<ReturnType<typeof signIn>>;

/** A signed-in browser: GET any page, POST forms with the session's CSRF token. */
export async function signIn(app: TestApp, who: { email: string; password: string }) {
  const agent = request.agent(app.app);
  const page = await agent.get("/sign-in");
  const res = await agent.post("/sign-in").type("form").redirects(0).send({ _csrf: csrfFrom(page.text), email: who.email, password: who.password });
  if (res.status !== 303) throw new Error(`sign-in as ${who.email} failed: ${res.status}`);
  const csrf = csrfFrom((await agent.get("/account")).text);
  return {
    agent,
    csrf,
    get: (path: string) => agent.get(path).redirects(0),
    post: (path: string, fields: Record<string, string> = {}) => agent.post(path).type("form").redirects(0).send({ _csrf: csrf, ...fields }),
    /** The same POST without its CSRF token. */
    forge: (path: string, fields: Record<string, string> = {}) => agent.post(path).type("form").redirects(0).send(fields),
  };
}

/** Another account, not in any project. */
export async function createAccount(app: TestApp, email: string, name: string, password = "password123") {
  const user = await app.db.user.create({ data: { email, name, passwordHash: await hashPassword(password) } });
  return { ...user, password };
}

export async function website(app: TestApp) {
  return app.db.project.findFirstOrThrow({ where: { name: "Website" } });
}

export async function userId(app: TestApp, email: string): Promise<string> {
  return (await app.db.user.findUniqueOrThrow({ where: { email } })).id;
}

export async function roleIn(app: TestApp, projectId: string, email: string): Promise<string | null> {
  const m = await app.db.membership.findFirst({ where: { projectId, user: { email } } });
  return m?.role ?? null;
}

/** The confirmation shown on a page after a redirect (the flash). */
export function flashOn(html: string): string | null {
  const match = /<p class="notice" role="status">([\s\S]*?)<\/p>/.exec(html);
  return match?.[1]?.trim() ?? null;
}
