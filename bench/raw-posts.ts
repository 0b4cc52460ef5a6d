// The ceiling the outbox is compared with: the same payloads POSTed with
// kept-alive node:http connections at the same concurrency, nothing else (the
// client the worker itself uses). Also reports the client's CPU per post.
import crypto from "node:crypto";
import http from "node:http";
import { urlToHttpOptions } from "node:url";

export async function rawPosts(baseUrl: string, payloads: string[], flowToken: string, concurrency: number): Promise<{ perSecond: number; cpuMsPerPost: number }> {
  const agent = new http.Agent({ keepAlive: true });
  // As the worker's MessagePoster: the URL turned into request options once.
  const target = { ...urlToHttpOptions(new URL("messages", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`)), method: "POST", agent };
  const post = (body: string) => new Promise<void>((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = http.request({ ...target, headers: { "content-type": "application/json", "content-length": payload.length } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 202 || res.statusCode === 200 ? resolve() : reject(new Error(`raw post: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(payload);
  });
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < payloads.length) {
      const payload = payloads[next++]!;
      await post(`{"flow_token":${JSON.stringify(flowToken)},"uuid":"${crypto.randomUUID()}",${payload.slice(1)}`);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  return { perSecond: payloads.length / seconds, cpuMsPerPost: (used.user + used.system) / 1000 / payloads.length };
}
