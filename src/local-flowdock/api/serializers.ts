// The JSON shapes of the hosted API (contract sections 3–5). API URLs are built
// from the configured base URL; clients follow them instead of pasting ids.
import type { FlowWithOrganization, OrganizationRow, UserRow } from "../store/directory.repository.ts";
import type { ApplicationRow } from "../store/applications.repository.ts";
import type { SourceRow } from "../store/sources.repository.ts";
import type { MessageRow, ThreadRow } from "../store/inbox.repository.ts";
import type { Store } from "../store/store.ts";

export function flowApiUrl(base: string, flow: FlowWithOrganization): string {
  return `${base}/flows/${flow.organization.parameterized_name}/${flow.parameterized_name}`;
}

export function flowWebUrl(base: string, flow: FlowWithOrganization): string {
  return `${base}/app/${flow.organization.parameterized_name}/${flow.parameterized_name}`;
}

export function userJson(user: UserRow) {
  return { id: user.id, email: user.email, name: user.name, nick: user.nick, avatar: user.avatar, website: user.website };
}

// A flow's links name the resources the caller's token may use, with the methods
// it may use on them (the contract: "the methods the caller may use").
function flowLinks(url: string, scopes: readonly string[]) {
  const has = (...any: string[]) => any.some((s) => scopes.includes(s));
  return {
    self: { href: url, methods: ["GET"] },
    ...(has("integration", "manage") ? { sources: { href: `${url}/sources`, methods: ["GET", "POST"] } } : {}),
    ...(has("flow", "manage") ? { messages: { href: `${url}/messages`, methods: ["GET"] }, threads: { href: `${url}/threads`, methods: ["GET"] } } : {}),
  };
}

// The hosted answer has a `subscription`; the local Flowdock has no billing, so
// every organization is on a plan that never ends (trial false, no billing date).
export function organizationJson(base: string, store: Store, org: OrganizationRow) {
  return {
    id: org.id, parameterized_name: org.parameterized_name, name: org.name, user_limit: org.user_limit,
    user_count: store.directory.organizationUserCount(org.id), active: Boolean(org.active),
    url: `${base}/organizations/${org.parameterized_name}`,
    subscription: { trial: false },
    users: store.directory.organizationMembers(org.id).map((u) => ({ id: u.id, name: u.name, email: u.email, admin: Boolean(u.admin) })),
  };
}

export function flowJson(base: string, store: Store, flow: FlowWithOrganization, joined: boolean, scopes: readonly string[]) {
  const url = flowApiUrl(base, flow);
  const org = flow.organization;
  return {
    id: flow.id,
    name: flow.name,
    parameterized_name: flow.parameterized_name,
    organization: {
      id: org.id, name: org.name, parameterized_name: org.parameterized_name, user_limit: org.user_limit,
      user_count: store.directory.organizationUserCount(org.id), active: Boolean(org.active),
      url: `${base}/organizations/${org.parameterized_name}`,
    },
    open: Boolean(flow.open),
    joined,
    url,
    web_url: flowWebUrl(base, flow),
    access_mode: flow.access_mode,
    users: store.directory.flowMembers(flow.id).map((u) => ({ id: u.id, nick: u.nick, name: u.name, email: u.email, avatar: u.avatar, disabled: false })),
    links: flowLinks(url, scopes),
  };
}

export function applicationJson(base: string, app: ApplicationRow) {
  return { id: app.id, name: app.name, icon_url: app.icon_url, url: `${base}/oauth/applications/${app.id}`, configuration_uri: app.configuration_uri };
}

export function sourceJson(base: string, store: Store, source: SourceRow) {
  const flow = store.directory.flowById(source.flow_id)!;
  const creator = source.creator_user_id ? store.directory.userById(source.creator_user_id) : undefined;
  return {
    id: source.id,
    name: source.name,
    url: `${flowApiUrl(base, flow)}/sources/${source.id}`,
    external_url: source.external_url,
    error_message: source.error_message,
    configuration_url: source.configuration_url,
    created_at: source.created_at,
    updated_at: source.updated_at,
    application: applicationJson(base, store.applications.byId(source.application_id)!),
    creator: creator ? { id: creator.id, nick: creator.nick, name: creator.name, email: creator.email, avatar: creator.avatar } : null,
  };
}

const parse = (value: string | null) => (value === null ? undefined : JSON.parse(value));

/**
 * A message as the hosted API shows it (messages.md "Show Message", message-types.md):
 * `content` (null for team-inbox posts, whose text is title/body; `{title, text}` for a
 * comment, `title` being what it comments on), `user` as a string id ("0" for none),
 * `app`, `flow`, `created_at`, `edited`, `attachments`. Team-inbox fields stay as before.
 */
export function messageJson(m: MessageRow) {
  return messageWithCommentedTitle(m, null);
}

/** messageJson with what a comment comments on: the parent's text, else its thread's title. */
export function apiMessageJson(store: Store, m: MessageRow) {
  if (m.event !== "comment") return messageJson(m);
  const parent = m.parent_id !== null ? store.chat.message(m.flow_id, m.parent_id) : undefined;
  return messageWithCommentedTitle(m, parent?.content ?? parent?.title ?? store.inbox.thread(m.flow_id, m.thread_id)?.title ?? null);
}

export function messageWithCommentedTitle(m: MessageRow, commentedTitle: string | null) {
  const chat = m.app === "chat";
  return {
    id: m.id,
    event: m.event,
    content: !chat ? null : m.event === "comment" ? { title: commentedTitle, text: m.content } : m.content,
    ...(!chat ? { title: m.title, body: m.body, author: parse(m.author) } : {}),
    tags: JSON.parse(m.tags),
    uuid: m.uuid,
    user: String(m.user_id ?? 0),
    app: m.app,
    flow: m.flow_id,
    sent: m.sent,
    created_at: new Date(m.sent).toISOString(),
    edited: m.edited_at,
    attachments: [],
    thread_id: m.thread_id,
    ...(m.external_user_name !== null ? { external_user_name: m.external_user_name } : {}),
    ...(m.external_thread_id !== null ? { external_thread_id: m.external_thread_id } : {}),
    ...(m.thread !== null ? { thread: parse(m.thread) } : {}),
  };
}

export function threadJson(base: string, store: Store, t: ThreadRow) {
  const source = t.source_id ? store.sources.byIdEvenDeleted(t.source_id) : undefined;
  return {
    id: t.id,
    external_thread_id: t.external_thread_id,
    title: t.title,
    body: t.body,
    external_url: t.external_url,
    status: parse(t.status) ?? null,
    fields: parse(t.fields) ?? [],
    actions: parse(t.actions) ?? [],
    source: source ? { id: source.id, name: source.name, application: applicationJson(base, store.applications.byId(source.application_id)!) } : null,
    ...store.chat.threadCounts(t.id),
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}
