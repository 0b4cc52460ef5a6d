// Pressing an issue thread's actions as Flowdock would: a JSON body (the action
// enriched with `agent`) and a FLOWDOCK-TOKEN signed with the client secret,
// sent to the app over HTTP, with ways to spoil each part.
import crypto from "node:crypto";
import request from "supertest";
import { SignJWT } from "jose";
import type { TestApp } from "./app.ts";
import { api, passwordToken, TEST_CLIENT } from "./local-flowdock.ts";
import { until } from "./tracker.ts";

export interface TokenOptions {
  sub?: string;
  secret?: string;
  /** Seconds from now until it expires (negative: already expired). */
  expiresIn?: number;
  /** What the `signature` claim says, instead of the body's digest. */
  signature?: string;
}

export async function flowdockToken(body: string, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ signature: options.signature ?? crypto.createHash("sha256").update(body).digest("hex") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.sub ?? "1001")
    .setIssuedAt(now)
    .setJti(crypto.randomUUID())
    .setExpirationTime(now + (options.expiresIn ?? 30))
    .sign(new TextEncoder().encode(options.secret ?? TEST_CLIENT.clientSecret));
}

export function actionBody(name: string, url: string, agent = { id: "1001", name: "Alice Anders" }): string {
  return JSON.stringify({
    "@type": "UpdateAction", name,
    agent: { "@type": "Person", ...agent },
    target: { "@type": "EntryPoint", urlTemplate: url, httpMethod: "POST" },
  });
}

export function actionPath(issueId: string, action: string): string {
  return `/flowdock/actions/issues/${issueId}/${action}`;
}

/** Sends an action request; `token: null` sends none. */
export function sendAction(app: TestApp, path: string, body: string, token: string | null) {
  const req = request(app.app).post(path).set("content-type", "application/json");
  if (token !== null) req.set("FLOWDOCK-TOKEN", token);
  return req.send(body);
}

/** Presses an action correctly, as the given Flowdock user. */
export async function press(app: TestApp, issueId: string, action: string, sub = "1001") {
  const path = actionPath(issueId, action);
  const body = actionBody(action, `${app.config.appBaseUrl}${path}`, { id: sub, name: "Someone" });
  return sendAction(app, path, body, await flowdockToken(body, { sub }));
}

/** Links a Tracker account to a Flowdock user id directly (the linking flow has its own test). */
export async function linkDirectly(app: TestApp, email: string, flowdockUserId = "1001") {
  const user = await app.db.user.findUniqueOrThrow({ where: { email } });
  await app.db.flowdockLink.create({ data: { userId: user.id, flowdockUserId, flowdockName: "Alice Anders", flowdockEmail: "alice@example.com" } });
  return user;
}

export interface RecordedMessage {
  event: string;
  title?: string;
  thread: { title: string; status?: { color: string; value: string }; fields?: { label: string; value: string }[]; actions?: { name: string }[] };
}

type OutboxTable = { findMany(args: object): Promise<{ payload: string }[]> };

/**
 * What the app recorded for delivery in its outbox, oldest first, as the
 * messages they become. The outbox holds them either as one row per change
 * (OutboxEvent, fanned out by the worker) or as one row per integration
 * (OutboxMessage); with the one integration these tests connect, both read alike.
 */
export async function recordedActivities(app: TestApp): Promise<RecordedMessage[]> {
  const models = app.db as unknown as Record<string, OutboxTable | undefined>;
  const table = models.outboxEvent ?? models.outboxMessage!;
  return (await table.findMany({ orderBy: { id: "asc" } })).map((row) => JSON.parse(row.payload) as RecordedMessage);
}

/** Waits until the flow (acme/main) holds `count` messages: what the worker delivered, read back from Flowdock. */
export async function untilFlowHas(flowdockUrl: string, count: number): Promise<void> {
  const token = await passwordToken(flowdockUrl, "alice@example.com", "flow");
  await until(async () => ((await api(flowdockUrl, "/flows/acme/main/messages?limit=100", { token })).body as unknown[]).length >= count, 15_000, `${count} messages in the flow`);
}
