// Several app instances behind one address, as a load balancer puts them: each
// instance is served over real HTTP, and the balancer sends each request to
// the next one in turn (or to the one a test pins). No stickiness, so anything
// an instance keeps to itself shows up as a broken flow.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type express from "express";

export interface LoadBalancer {
  url: string;
  /** Requests each instance has answered. */
  served: number[];
  /** Send everything to instance `index`; `null` for round robin again. */
  pin(index: number | null): void;
  close(): Promise<void>;
}

async function serve(app: express.Express): Promise<http.Server> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export async function startLoadBalancer(apps: express.Express[]): Promise<LoadBalancer> {
  const backends = await Promise.all(apps.map(serve));
  const served = backends.map(() => 0);
  let next = 0;
  let pinned: number | null = null;
  const front = http.createServer((req, res) => {
    const index = pinned ?? next++ % backends.length;
    served[index]! += 1;
    const { port } = backends[index]!.address() as AddressInfo;
    const upstream = http.request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const close = (server: http.Server) => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    served,
    pin(index) {
      pinned = index;
    },
    close: async () => {
      await close(front);
      await Promise.all(backends.map(close));
    },
  };
}
