// A Flowdock stand-in that answers every request with 202 at once, in its own
// process: what the outbox costs when Flowdock itself costs nothing. (The local
// Flowdock stores each message and tops out near 1,300 POST/s on this kind of
// machine, so against it the bench measures the local Flowdock.)
import { spawn, type ChildProcess } from "node:child_process";

const SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => { res.writeHead(202, { "content-type": "application/json", "content-length": "2" }); res.end("{}"); });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));
`;

export interface NullTarget {
  url: string;
  stop(): Promise<void>;
}

export async function startNullTarget(): Promise<NullTarget> {
  const child: ChildProcess = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", () => reject(new Error("the null target did not start")));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
