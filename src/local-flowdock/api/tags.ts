// Tags as the hosted docs (tags.md, messages.md): case-insensitive, "#" optional
// on hashtags, "@nick" stored as ":user:<id>", "@all" and friends as
// ":user:everyone", plus the meta tags a chat message's content implies
// (":url", ":unread:<id>", ":highlight:<id>"). Flowdock-text's full rule set is
// richer; this keeps the documented examples exact.
import type { UserRow } from "../store/directory.repository.ts";

const EVERYONE = new Set(["everyone", "everybody", "all", "anyone", "anybody"]);
const HASHTAG = /(?:^|[^\p{L}\p{N}_&])#([\p{L}\p{N}_][\p{L}\p{N}_-]*)/gu;
const MENTION = /(?:^|[^\p{L}\p{N}_])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*)/gu;
const URL = /\bhttps?:\/\/\S/i;

/** The explicit `tags` of a post: an array (JSON) or a comma-separated string. */
export function tagList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === "string");
  return typeof value === "string" ? value.split(",") : [];
}

export interface TagContext {
  /** The flow's people, for "@nick" (disabled users would be left out). */
  members: readonly Pick<UserRow, "id" | "nick">[];
  /** Who posts; they get no unread tag for their own message. */
  authorId?: number | null | undefined;
}

export function normalizeTags(explicit: readonly string[], ctx: TagContext, content?: string | null): string[] {
  const tags = new Set<string>();
  const unread = new Set<number>();
  const byNick = new Map(ctx.members.map((u) => [u.nick.toLowerCase(), u]));
  const addUserTag = (nick: string) => {
    const name = nick.toLowerCase();
    if (EVERYONE.has(name)) {
      tags.add(":user:everyone");
      for (const u of ctx.members) unread.add(u.id);
      return;
    }
    const user = byNick.get(name);
    if (user) {
      tags.add(`:user:${user.id}`);
      unread.add(user.id);
    } else {
      // Nobody in the flow has that nick: kept as written, as a plain tag would be.
      tags.add(`@${name}`);
    }
  };
  for (const raw of explicit) {
    const tag = raw.trim();
    if (!tag) continue;
    if (tag.startsWith("@") && tag.length > 1) addUserTag(tag.slice(1));
    else if (tag.startsWith(":")) tags.add(tag);
    else tags.add((tag.startsWith("#") ? tag.slice(1) : tag).toLowerCase());
  }
  if (content) {
    for (const [, tag] of content.matchAll(HASHTAG)) tags.add(tag!.toLowerCase());
    for (const [, nick] of content.matchAll(MENTION)) addUserTag(nick!);
    if (URL.test(content)) tags.add(":url");
    const words = new Set(content.toLowerCase().split(/[^\p{L}\p{N}_]+/u));
    for (const u of ctx.members) {
      if (!unread.has(u.id) && words.has(u.nick.toLowerCase())) tags.add(`:highlight:${u.id}`);
    }
  }
  for (const id of unread) if (id !== ctx.authorId) tags.add(`:unread:${id}`);
  tags.delete("");
  return [...tags];
}

/** A `tags` filter's entries in stored form: "@nick" → ":user:<id>", "#x" → "x". */
export function filterTags(value: string, members: TagContext["members"]): string[] {
  return value.split(",").map((t) => t.trim()).filter(Boolean).map((t) => {
    if (t.startsWith("@")) {
      const nick = t.slice(1).toLowerCase();
      if (EVERYONE.has(nick)) return ":user:everyone";
      const user = members.find((u) => u.nick.toLowerCase() === nick);
      return user ? `:user:${user.id}` : `@${nick}`;
    }
    if (t.startsWith(":")) return t;
    return (t.startsWith("#") ? t.slice(1) : t).toLowerCase();
  });
}
