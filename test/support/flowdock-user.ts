// A person of the local Flowdock as a REST client sees them: signed in to the
// pages (for the Tokens page) and HTTP Basic headers.
import request from "supertest";
import { csrfFrom } from "./browser.ts";

export async function signedInAgent(baseUrl: string, email = "alice@example.com", password = "flowdock") {
  const agent = request.agent(baseUrl);
  const page = await agent.get("/login");
  await agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email, password, return_to: "/app" }).expect(302);
  return agent;
}

/** Generates (or replaces) the person's API token on the Tokens page and reads it from the answer. */
export async function apiTokenOf(baseUrl: string, email = "alice@example.com"): Promise<string> {
  const agent = await signedInAgent(baseUrl, email);
  const page = await agent.get("/account/tokens").expect(200);
  const res = await agent.post("/account/tokens").type("form").send({ _csrf: csrfFrom(page.text) }).expect(200);
  const token = res.text.match(/id="api-token" value="([^"]+)"/)?.[1];
  if (!token) throw new Error("no token on the Tokens page");
  return token;
}

export function basic(username: string, password = ""): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
}
