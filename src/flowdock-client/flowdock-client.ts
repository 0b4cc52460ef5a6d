// The one way this app talks to Flowdock's REST API: every answer is parsed and
// every status mapped to a result or a FlowdockError. Tokens only ever travel
// to the configured API origin, whatever URL an answer points us at.
import type { z } from "zod";
import { errorForStatus, FlowdockError } from "./flowdock-errors.ts";
import { MessagePoster } from "./message-poster.ts";
import { createdSourceSchema, flowSchema, sourceSchema, userSchema, type CreatedSource, type Flow, type FlowdockUser, type OutgoingMessage, type Source } from "./flowdock-types.ts";

export interface FlowdockClientOptions {
  apiUrl: string;
  /** Per-request time limit; a slower answer counts as transient. */
  timeoutMs?: number;
}

type Credentials = { accessToken: string } | { flowToken: string } | Record<string, never>;

export class FlowdockClient {
  private readonly apiUrl: URL;
  private readonly timeoutMs: number;
  private poster: MessagePoster | undefined;

  constructor(options: FlowdockClientOptions) {
    this.apiUrl = new URL(options.apiUrl.endsWith("/") ? options.apiUrl : `${options.apiUrl}/`);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The person who authorized the token (scope `profile`). */
  currentUser(accessToken: string): Promise<FlowdockUser> {
    return this.request("GET", this.resolve("user"), { accessToken }, userSchema);
  }

  /** The flow the setup URI named, as the signed-in Flowdock user sees it. */
  findFlow(accessToken: string, flowId: string): Promise<Flow> {
    return this.request("GET", this.resolve(`flows/find?id=${encodeURIComponent(flowId)}`), { accessToken }, flowSchema);
  }

  /** Creates a source; the answer holds the flow token, which Flowdock never shows again. */
  createSource(accessToken: string, sourcesUrl: string, input: { name: string; external_url?: string }): Promise<CreatedSource> {
    return this.request("POST", this.onApi(sourcesUrl), { accessToken }, createdSourceSchema, input);
  }

  /** Deletes a source (needs a user's token with scope `integration`). Already gone counts as done, and says so. */
  async deleteSource(accessToken: string, sourceUrl: string): Promise<"removed" | "already_gone"> {
    try {
      await this.request("DELETE", this.onApi(sourceUrl), { accessToken }, null);
      return "removed";
    } catch (err) {
      if (err instanceof FlowdockError && (err.kind === "not_found" || err.kind === "gone")) return "already_gone";
      throw err;
    }
  }

  /**
   * Updates our own source with its flow token. Flowdock documents only these
   * two fields as updatable (docs/sources.md): a source's name is fixed at creation.
   */
  updateSource(flowToken: string, changes: { error_message?: string; configuration_url?: string }): Promise<Source> {
    return this.request("PUT", this.resolve("sources"), { flowToken }, sourceSchema, changes);
  }

  /** Posts one activity or discussion; `uuid` makes a retry of the same message harmless. */
  async postMessage(flowToken: string, message: OutgoingMessage, signal?: AbortSignal): Promise<void> {
    await this.request("POST", this.resolve("messages"), { flowToken }, null, message, signal);
  }

  /**
   * The same as `postMessage` for a message already serialised as a JSON
   * object (the delivery worker's hot path: no parse and re-serialise per post).
   */
  async postMessageJson(flowToken: string, messageJson: string): Promise<void> {
    this.poster ??= new MessagePoster(this.resolve("messages"), this.timeoutMs);
    await this.poster.post(`{"flow_token":${JSON.stringify(flowToken)},${messageJson.slice(1)}`);
  }

  private resolve(path: string): URL {
    return new URL(path, this.apiUrl);
  }

  private onApi(url: string): URL {
    const target = new URL(url);
    if (target.origin !== this.apiUrl.origin || !target.pathname.startsWith(this.apiUrl.pathname)) {
      throw new FlowdockError("unexpected", "Flowdock pointed us at a URL outside its API; refusing to send credentials there");
    }
    return target;
  }

  private async request<T>(method: string, url: URL, credentials: Credentials, schema: z.ZodType<T> | null, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    let payload = body;
    if ("accessToken" in credentials) headers.authorization = `Bearer ${credentials.accessToken}`;
    // The flow token travels in the body, not the URL, so it stays out of access logs.
    if ("flowToken" in credentials) payload = { ...(body as object | undefined), flow_token: credentials.flowToken };
    if (payload !== undefined) headers["content-type"] = "application/json";
    return this.exchange(method, url, headers, payload === undefined ? undefined : JSON.stringify(payload), schema, signal);
  }

  private async exchange<T>(method: string, url: URL, headers: Record<string, string>, body: string | undefined, schema: z.ZodType<T> | null, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      const timedOut = timeout.aborted;
      throw new FlowdockError("transient", timedOut ? `Flowdock did not answer within ${this.timeoutMs} ms` : "Could not reach Flowdock", { cause: err });
    }
    const text = await res.text().catch(() => "");
    const json = parseJson(text);
    if (!res.ok) throw errorForStatus(res.status, json, res.headers.get("retry-after"));
    if (!schema) return undefined as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new FlowdockError("unexpected", `Flowdock's answer to ${method} ${url.pathname} was not what the API describes`, { status: res.status });
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
