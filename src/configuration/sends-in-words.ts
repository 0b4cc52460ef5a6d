// What an integration sends, in the words its configuration page uses: never
// the internal kind names, and "nothing" when every kind is switched off.
import type { ActivityKind } from "../activity-forwarding/activity.ts";

export function sendsInWords(kinds: ActivityKind[], settings: { mutedKinds: string[]; labelFilter: string[] }): string {
  const muted = kinds.filter((k) => settings.mutedKinds.includes(k.kind));
  if (muted.length === kinds.length) return "nothing: the flow receives nothing from this project";
  const what = muted.length === 0 ? "every change and comment" : `every change and comment except: ${muted.map((k) => k.label.toLowerCase()).join("; ")}`;
  return settings.labelFilter.length ? `${what}, only for issues labelled ${orList(settings.labelFilter)}` : what;
}

/** The difference between two settings, for the audit trail ("configured (what changed)"); null when there is none. */
export function settingsChange(kinds: ActivityKind[], before: { mutedKinds: string[]; labelFilter: string[] }, after: { mutedKinds: string[]; labelFilter: string[] }): string | null {
  const parts: string[] = [];
  const label = (kind: string) => kinds.find((k) => k.kind === kind)?.label.toLowerCase() ?? kind;
  const stopped = after.mutedKinds.filter((k) => !before.mutedKinds.includes(k));
  const started = before.mutedKinds.filter((k) => !after.mutedKinds.includes(k));
  if (stopped.length) parts.push(`stopped sending ${stopped.map(label).join("; ")}`);
  if (started.length) parts.push(`now sends ${started.map(label).join("; ")}`);
  if (before.labelFilter.join("\n") !== after.labelFilter.join("\n")) {
    parts.push(after.labelFilter.length ? `only issues labelled ${orList(after.labelFilter)}` : "issues with any labels");
  }
  return parts.join(", ") || null;
}

function orList(items: string[]): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}
