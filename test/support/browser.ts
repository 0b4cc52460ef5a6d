// A person's browser during setup: one cookie jar for our app and one for
// Flowdock, following redirects between the two by hand so each test can stop
// at any step and look at what the person sees.
import request from "supertest";
import type express from "express";
import { APP_BASE_URL } from "./local-flowdock.ts";

type Agent = ReturnType<typeof request.agent>;

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no CSRF token on the page");
  return match[1];
}

export class Browser {
  readonly app: Agent;
  readonly flowdock: Agent;

  /** `app` is an Express app, or the URL of instances behind a load balancer. */
  constructor(app: express.Express | string, private readonly flowdockUrl: string) {
    this.app = request.agent(app);
    this.flowdock = request.agent(flowdockUrl);
  }

  /** GET any absolute URL of the app or of Flowdock, or a path of the app. */
  visit(url: string) {
    if (url.startsWith(this.flowdockUrl)) return this.flowdock.get(url.slice(this.flowdockUrl.length)).redirects(0);
    const path = url.startsWith(APP_BASE_URL) ? url.slice(APP_BASE_URL.length) : url;
    return this.app.get(path).redirects(0);
  }

  async signInToApp(email = "demo@example.com", password = "demo") {
    const page = await this.app.get("/sign-in");
    const res = await this.app.post("/sign-in").type("form").send({ _csrf: csrfFrom(page.text), email, password }).redirects(0);
    if (res.status !== 303) throw new Error(`app sign-in failed: ${res.status}`);
    return res;
  }

  async signInToFlowdock(email = "alice@example.com") {
    const page = await this.flowdock.get("/login");
    const res = await this.flowdock.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email, password: "flowdock", return_to: "/app" }).redirects(0);
    if (res.status !== 302) throw new Error(`Flowdock sign-in failed: ${res.status}`);
  }

  /** On Flowdock's consent page for `authorizeUrl`, press Authorize or Deny; answers where Flowdock sends us back. */
  async consent(authorizeUrl: string, decision: "approve" | "deny"): Promise<string> {
    const page = await this.visit(authorizeUrl);
    if (page.status !== 200) throw new Error(`consent page: ${page.status}`);
    const fields = Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], decodeHtml(m[2]!)]));
    const res = await this.flowdock.post("/oauth/authorize").type("form").send({ ...fields, decision }).redirects(0);
    if (res.status !== 302) throw new Error(`consent answer: ${res.status} ${res.text}`);
    return res.headers.location as string;
  }
}

function decodeHtml(value: string): string {
  return value.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
