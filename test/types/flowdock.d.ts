// Types for Flowdock's own Node.js client (npm `flowdock` 0.9.x ships none), as
// much of it as the tests use.
declare module "flowdock" {
  import { EventEmitter } from "node:events";
  type Callback = (err: Error | null, body?: unknown, res?: { statusCode: number; headers: Record<string, string> }) => void;
  export class Session extends EventEmitter {
    constructor(emailOrToken: string, password?: string, url?: string);
    url: string;
    flows(callback: Callback): void;
    message(flowId: string, content: string, tags: string[] | null, callback?: Callback): void;
    threadMessage(flowId: string, threadId: string, content: string, tags: string[] | null, callback?: Callback): void;
    comment(flowId: string, parentId: number | string, content: string, tags: string[] | null, callback?: Callback): void;
    status(flowId: string, status: string, callback?: Callback): void;
    editMessage(flowId: string, organizationId: string, messageId: number, data: Record<string, unknown>, callback?: Callback): void;
    get(path: string, data: Record<string, unknown>, callback: Callback): void;
    post(path: string, data: Record<string, unknown>, callback: Callback): void;
    stream(flows: string | string[], options?: Record<string, unknown>): EventEmitter & { end(): void };
  }
}
