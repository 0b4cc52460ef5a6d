// The local Flowdock's sign-in sessions: a page that ends without changing the
// session moves its expiry only, so it can't undo what a request beside it saved.
import type { SessionData } from "express-session";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/local-flowdock/store/database.ts";
import { SqliteSessionStore } from "../../src/local-flowdock/pages/web-session.ts";

describe("the local Flowdock's sessions", () => {
  it("when a page loaded with an older copy of the session ends after a request that signed in, the sign-in stays and the expiry moves", () => {
    const store = new SqliteSessionStore(openDatabase(":memory:"));
    const cookie = (ms: number) => ({ originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString() });
    store.set("sid-1", { cookie: cookie(60_000) } as unknown as SessionData);
    store.set("sid-1", { cookie: cookie(60_000), flowdockUserId: 7 } as unknown as SessionData);
    store.touch("sid-1", { cookie: cookie(3_600_000) } as unknown as SessionData);
    let kept: SessionData | null | undefined;
    store.get("sid-1", (_err, data) => (kept = data));
    expect(kept?.flowdockUserId).toBe(7);
  });
});
