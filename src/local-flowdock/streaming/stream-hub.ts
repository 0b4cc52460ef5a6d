// Open streams and what they listen to. The hub hears the event bus once,
// renders each event once, and writes the same bytes to every stream of its
// flow. One shared tick sends keep-alives and ends streams whose token has
// expired, so an idle stream costs a socket and a small object: no timer, no
// polling of its own.
import type { Response } from "express";
import type { Store } from "../store/store.ts";
import type { FlowEventRow } from "../store/flow-events.repository.ts";
import { renderFlowEvent } from "./stream-events.ts";

export type StreamFormat = "json" | "event-stream";

interface OpenStream {
  res: Response;
  format: StreamFormat;
  flowIds: string[];
  /** The newest event id written to it: a backlog and the bus may overlap. */
  lastId: number;
  expiresAt: number;
}

// A client this far behind is not reading; as the hosted service drops
// streams with "excessive client-side lag", it is ended and may reconnect.
const MAX_BUFFERED_BYTES = 1024 * 1024;

export const DEFAULT_KEEP_ALIVE_MS = 5000;

export class StreamHub {
  private readonly byFlow = new Map<string, Set<OpenStream>>();
  private readonly open = new Set<OpenStream>();
  private tick: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly baseUrl: () => string,
    private readonly now: () => number,
    private readonly keepAliveMs = DEFAULT_KEEP_ALIVE_MS,
  ) {
    store.events.subscribe((events) => this.publish(events));
  }

  get size(): number {
    return this.open.size;
  }

  /** Starts streaming to `res`: the backlog after `lastEventId` first, then live events. */
  attach(res: Response, options: { format: StreamFormat; flowIds: string[]; lastEventId?: number | undefined; expiresAt: number }): void {
    const stream: OpenStream = { res, format: options.format, flowIds: options.flowIds, lastId: this.store.events.lastId(), expiresAt: options.expiresAt };
    res.status(200).set({
      "Content-Type": options.format === "json" ? "application/json; charset=utf-8" : "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      "X-Accel-Buffering": "no",
      // Ending a stream closes its connection, so a stopping server has none left idle.
      Connection: "close",
    });
    res.flushHeaders();
    if (options.format === "event-stream") res.write("retry: 2000\n\n");
    if (options.lastEventId !== undefined) {
      stream.lastId = options.lastEventId;
      for (const e of this.store.events.since(options.flowIds, options.lastEventId)) this.write(stream, e, this.render(e));
    }
    this.open.add(stream);
    for (const id of stream.flowIds) {
      let set = this.byFlow.get(id);
      if (!set) this.byFlow.set(id, (set = new Set()));
      set.add(stream);
    }
    res.on("close", () => this.detach(stream));
    this.tick ??= setInterval(() => this.keepAlive(), this.keepAliveMs).unref();
  }

  /** Ends every stream (the server is stopping). */
  closeAll(): void {
    for (const stream of [...this.open]) this.end(stream);
  }

  private publish(events: FlowEventRow[]): void {
    for (const e of events) {
      const listeners = this.byFlow.get(e.flow_id);
      if (!listeners || listeners.size === 0) continue;
      const json = this.render(e);
      for (const stream of listeners) this.write(stream, e, json);
    }
  }

  private render(e: FlowEventRow): string | undefined {
    const json = renderFlowEvent(this.baseUrl(), this.store, e);
    return json && JSON.stringify(json);
  }

  private write(stream: OpenStream, e: FlowEventRow, json: string | undefined): void {
    if (e.id <= stream.lastId) return;
    stream.lastId = e.id;
    if (json === undefined) return;
    // JSON stream: the docs delimit events with \r, Flowdock's own clients split on \r\n.
    stream.res.write(stream.format === "json" ? `${json}\r\n` : `id: ${e.id}\ndata: ${json}\n\n`);
    if (stream.res.writableLength > MAX_BUFFERED_BYTES) this.end(stream);
  }

  private keepAlive(): void {
    const now = this.now();
    for (const stream of [...this.open]) {
      if (stream.expiresAt <= now) this.end(stream);
      else stream.res.write(stream.format === "json" ? "\n" : ":\n\n");
    }
  }

  private end(stream: OpenStream): void {
    this.detach(stream);
    stream.res.end();
  }

  private detach(stream: OpenStream): void {
    if (!this.open.delete(stream)) return;
    for (const id of stream.flowIds) {
      const set = this.byFlow.get(id);
      set?.delete(stream);
      if (set?.size === 0) this.byFlow.delete(id);
    }
    if (this.open.size === 0 && this.tick) {
      clearInterval(this.tick);
      this.tick = undefined;
    }
  }
}
