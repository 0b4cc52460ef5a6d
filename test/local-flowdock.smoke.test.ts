import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createSource, startTestFlowdock } from "./support/local-flowdock.ts";
import type { LocalFlowdock } from "../src/local-flowdock/server.ts";

describe("local Flowdock smoke", () => {
  let fd: LocalFlowdock;
  beforeAll(async () => { fd = await startTestFlowdock(); });
  afterAll(async () => { await fd.close(); });

  it("an activity posted with a flow token shows up as a thread", async () => {
    const { source, userToken } = await createSource(fd.url);
    const post = await api(fd.url, "/messages", { method: "POST", body: {
      flow_token: source.flow_token, event: "activity", author: { name: "Demo" }, title: "opened the issue",
      external_thread_id: "issue:1", thread: { title: "Broken link", status: { color: "green", value: "open" } },
    } });
    expect(post.status).toBe(202);
    const threads = await api(fd.url, "/flows/acme/main/threads", { token: userToken });
    expect(threads.body).toMatchObject([{ external_thread_id: "issue:1", title: "Broken link", status: { color: "green", value: "open" } }]);
  });
});
