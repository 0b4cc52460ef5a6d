// Starts a fresh local Flowdock on a free port for one test file, with the
// control API on and an in-memory store, and offers the calls tests need.
import { createLogger } from "../../src/observability/logger.ts";
import { startLocalFlowdock, type LocalFlowdock, type LocalFlowdockOptions } from "../../src/local-flowdock/server.ts";

export const TEST_CLIENT = { clientId: "test-client-id", clientSecret: "test-client-secret-0123456789" };
export const APP_BASE_URL = "http://app.test";

export async function startTestFlowdock(overrides: Partial<LocalFlowdockOptions> = {}): Promise<LocalFlowdock> {
  return startLocalFlowdock({
    port: 0,
    databasePath: ":memory:",
    controlApi: true,
    sessionSecret: "test-session-secret-0123456789-abcdef",
    integration: { name: "Tracker", clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, appBaseUrl: APP_BASE_URL },
    logger: createLogger({ level: "silent", name: "test-flowdock" }),
    ...overrides,
  });
}

/** An access token for a seeded person through the password grant. */
export async function passwordToken(baseUrl: string, email: string, scope = "flow profile integration"): Promise<string> {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ grant_type: "password", username: email, password: "flowdock", scope, client_id: TEST_CLIENT.clientId, client_secret: TEST_CLIENT.clientSecret }),
  });
  if (res.status !== 200) throw new Error(`password grant failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function api(baseUrl: string, path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? "GET",
    headers: {
      accept: "application/json",
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? safeJson(text) : undefined };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Creates a source in acme/main as alice and answers it with its flow_token. */
export async function createSource(baseUrl: string, name = "Website") {
  const token = await passwordToken(baseUrl, "alice@example.com");
  const res = await api(baseUrl, "/flows/acme/main/sources", { method: "POST", token, body: { name, external_url: "http://app.test/projects/1" } });
  if (res.status !== 201) throw new Error(`source creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { userToken: token, source: res.body as { id: number; flow_token: string; url: string; name: string } };
}
