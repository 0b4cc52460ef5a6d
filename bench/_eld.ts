import { monitorEventLoopDelay } from "node:perf_hooks";
const h = monitorEventLoopDelay({ resolution: 5 }); h.enable();
setInterval(() => { console.log(`loop delay p50 ${(h.percentile(50)/1e6).toFixed(1)} p99 ${(h.percentile(99)/1e6).toFixed(1)} max ${(h.max/1e6).toFixed(1)} ms`); h.reset(); }, 10_000).unref();
await import("./run.ts");
