// The one rule for what an integration's settings let through.
import { describe, expect, it } from "vitest";
import { wants } from "../../src/activity-forwarding/recipients.ts";

const opened = { kind: "issue.opened", labels: ["bug", "ui"] };

describe("what a flow's settings let through", () => {
  it("when nothing is muted or filtered, every activity is sent", () => {
    expect(wants({ mutedKinds: [], labelFilter: [] }, opened)).toBe(true);
  });

  it("when a kind is muted, activities of that kind are not sent", () => {
    expect(wants({ mutedKinds: ["issue.opened"], labelFilter: [] }, opened)).toBe(false);
  });

  it("when only some labels are wanted, an issue with any of them is sent and one with none is not", () => {
    expect(wants({ mutedKinds: [], labelFilter: ["ui", "docs"] }, opened)).toBe(true);
    expect(wants({ mutedKinds: [], labelFilter: ["docs"] }, opened)).toBe(false);
    expect(wants({ mutedKinds: [], labelFilter: ["docs"] }, { kind: "issue.opened" })).toBe(false);
  });

  it("when the filter names a label with other capitals or spaces, it still matches the issue's label", () => {
    expect(wants({ mutedKinds: [], labelFilter: [" Bug "] }, opened)).toBe(true);
  });
});
