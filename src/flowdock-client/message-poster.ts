// Posts messages over kept-alive HTTP connections with node:http rather than
// fetch: the delivery worker posts thousands a second, and a profile put a
// fifth of its CPU in fetch's machinery (Request objects, web streams, an
// AbortSignal.timeout per call), none of which a fire-and-check POST needs.
// Answers are mapped exactly as the client maps fetch's.
import http from "node:http";
import https from "node:https";
import { urlToHttpOptions } from "node:url";
import { errorForStatus, FlowdockError } from "./flowdock-errors.ts";

export class MessagePoster {
  private readonly agent: http.Agent;
  private readonly send: typeof http.request;
  // The URL as request options, once: node:http otherwise converts a URL on every request.
  private readonly target: http.RequestOptions;

  constructor(url: URL, private readonly timeoutMs: number) {
    const secure = url.protocol === "https:";
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.send = secure ? https.request : http.request;
    this.target = { ...urlToHttpOptions(url), method: "POST", agent: this.agent, timeout: timeoutMs };
  }

  post(body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(body);
      const req = this.send({
        ...this.target,
        headers: { accept: "application/json", "content-type": "application/json", "content-length": payload.length },
      }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(new FlowdockError("transient", "Could not reach Flowdock", { cause: err })));
        res.on("end", () => {
          if (status >= 200 && status < 300) return resolve();
          let json: unknown;
          try {
            json = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
          } catch {
            json = undefined;
          }
          const retryAfter = res.headers["retry-after"];
          reject(errorForStatus(status, json, Array.isArray(retryAfter) ? retryAfter[0] ?? null : retryAfter ?? null));
        });
      });
      req.on("timeout", () => req.destroy(new FlowdockError("transient", `Flowdock did not answer within ${this.timeoutMs} ms`)));
      req.on("error", (err) => reject(err instanceof FlowdockError ? err : new FlowdockError("transient", "Could not reach Flowdock", { cause: err })));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
