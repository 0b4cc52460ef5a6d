// Every route an Express app answers, found by walking its router (nested
// routers included), so a test can cover them all without a hand-kept list.
import type express from "express";

export interface RouteInfo {
  path: string;
  methods: string[];
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

export function listRoutes(app: express.Express): RouteInfo[] {
  const routes: RouteInfo[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat()) {
          routes.push({ path: `${prefix}${path}`, methods: Object.keys(layer.route.methods).filter((m) => m !== "_all").map((m) => m.toUpperCase()) });
        }
      } else if (layer.handle?.stack) {
        for (const mount of [layer.rawPath ?? "/"].flat()) walk(layer.handle.stack, `${prefix}${mount === "/" ? "" : mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, "");
  return routes;
}
