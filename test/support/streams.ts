// A streaming client for tests: opens a Streaming API request over real HTTP
// and collects what arrives, so a test can wait for an event or the end.
import http from "node:http";

export interface OpenedStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Everything received so far, as text. */
  text: () => string;
  /** JSON stream: the events received so far (keep-alive newlines dropped). */
  jsonEvents: () => Record<string, unknown>[];
  /** Event stream: the events received so far, with their ids. */
  sseEvents: () => { id: string | undefined; data: Record<string, unknown> }[];
  waitFor: (test: (text: string) => boolean, timeoutMs?: number) => Promise<void>;
  ended: Promise<void>;
  close: () => void;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let text = "";
      const waiters = new Set<() => void>();
      res.setEncoding("utf8");
      // Closing a stream aborts the response; that is its normal end here.
      res.on("error", () => {});
      res.on("data", (chunk: string) => {
        text += chunk;
        for (const w of [...waiters]) w();
      });
      const ended = new Promise<void>((done) => {
        res.on("end", () => done());
        res.on("close", () => done());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => text,
        jsonEvents: () => text.split("\r\n").map((l) => l.trim()).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
        sseEvents: () => text.split("\n\n").filter((block) => block.includes("data: ")).map((block) => {
          const lines = block.split("\n");
          return {
            id: lines.find((l) => l.startsWith("id: "))?.slice(4),
            data: JSON.parse(lines.find((l) => l.startsWith("data: "))!.slice(6)) as Record<string, unknown>,
          };
        }),
        waitFor(test, timeoutMs = 5000) {
          return new Promise<void>((done, fail) => {
            const check = () => {
              if (!test(text)) return;
              waiters.delete(check);
              clearTimeout(timer);
              done();
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`stream did not show what was expected within ${timeoutMs} ms; got: ${JSON.stringify(text.slice(-500))}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        ended,
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.on("response", () => { req.removeListener("error", reject); req.on("error", () => {}); });
  });
}
