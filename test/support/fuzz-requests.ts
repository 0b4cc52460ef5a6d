// Building blocks of the all-routes fuzz test: fast-check arbitraries for whole
// HTTP requests (method, path with odd ids, query, headers, body in any
// encoding, invalid Unicode), a raw HTTP sender that sends them byte for byte,
// and a watcher that tells whether a SQLite database's data changed.
import crypto from "node:crypto";
import http from "node:http";
import Sqlite from "better-sqlite3";
import pg from "pg";
import fc from "fast-check";
import type { RouteInfo } from "./routes.ts";

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface Identity {
  /** Cookie header of a signed-in browser, if any. */
  cookie?: string;
  /** A valid CSRF token for that browser's forms. */
  csrf?: string;
  /** Valid Authorization header values (Bearer tokens, Basic client credentials). */
  authorizations?: string[];
}

const LONE = ["\ud800", "\udfff", "a\ud834", "\udc00b"];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** Text that is hard to handle: long, odd, invalid Unicode, numbers too big for any column. */
export const nastyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(...LONE, "", " ", "null", "undefined", "0", "-1", "1e308", "99999999999999999999", "9223372036854775808", "NaN", "__proto__", "constructor",
    "<script>alert(1)</script>", "<a href=//evil.example>x</a>", "'; DROP TABLE users; --", "../../etc/passwd", "%", "%zz", "%ED%A0%80", "\u0000", "\u202e"),
  fc.string({ maxLength: 5 }).map((s) => `${s}${LONE[s.length % LONE.length]}${s}`),
  fc.integer({ min: 1, max: 3 }).map((n) => "x".repeat(n * 3000)),
);

const loneSurrogateText = fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...LONE)).map(([s, lone]) => `${s}${lone}`);

/** Any JSON value, with objects where text is expected. */
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: "small" },
  { weight: 4, arbitrary: nastyText },
  { weight: 2, arbitrary: loneSurrogateText },
  { weight: 2, arbitrary: fc.constantFrom("demo@example.com", "alice@example.com", "demo", "flowdock", "bug, website", "member", "owner", "approve", "activity", "discussion", "password") },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ toString: 1 }),
  fc.constant({ valueOf: "x" }),
  fc.array(nastyText, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), nastyText, { maxKeys: 3 }),
);

/** Field and query names the two servers read, and some they don't. */
export const FIELD_NAMES = [
  "title", "description", "priority", "labels", "assigneeId", "body", "name", "email", "password", "projectId", "sourceName", "createAnother",
  "sendKinds", "role", "decision", "confirmName", "currentPassword", "newPassword", "q", "grant_type", "code", "refresh_token", "username", "scope",
  "client_id", "client_secret", "redirect_uri", "code_verifier", "code_challenge", "code_challenge_method", "response_type", "state", "event",
  "external_thread_id", "thread_id", "thread", "tags", "uuid", "flow_token", "author", "content", "external_url", "error_message", "return_to",
  "callback_uri", "setup_uri", "configuration_uri", "icon_url", "flow", "flow_url", "integration_id", "source", "source_url", "error",
  "status", "created", "saved", "since_id", "until_id", "limit", "advanceMs", "max", "windowMs", "x",
];

/** Fields of a body or query: mostly those the route's own forms send (when known), some others. */
export function fields(routeFields: string[]): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.oneof(
    ...(routeFields.length ? [{ weight: 6, arbitrary: fc.constantFrom(...routeFields) }] : []),
    { weight: 2, arbitrary: fc.constantFrom(...FIELD_NAMES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  return fc.dictionary(key, jsonValue, { minKeys: 1, maxKeys: 6 });
}

const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v) ?? "");

function encodeForm(values: Record<string, unknown>): string {
  return Object.entries(values).map(([k, v]) => {
    // encodeURIComponent refuses lone surrogates: send them as the broken UTF-8 a careless client would.
    const enc = (s: string) => { try { return encodeURIComponent(s); } catch { return "%ED%A0%80"; } };
    return Array.isArray(v) ? v.map((item) => `${enc(k)}=${enc(asText(item))}`).join("&") : `${enc(k)}=${enc(asText(v))}`;
  }).join("&");
}

const bodyArb = (routeFields: string[], csrf?: string) => fc.oneof(
  fc.constant(undefined),
  { weight: 3, arbitrary: fields(routeFields).map((f) => ({ type: "application/json", data: JSON.stringify(csrf ? { _csrf: csrf, ...f } : f) })) },
  { weight: 3, arbitrary: fields(routeFields).map((f) => ({ type: "application/x-www-form-urlencoded", data: encodeForm(csrf ? { _csrf: csrf, ...f } : f) })) },
  fc.constantFrom('{"a":', "[1,2", "null", "[]", '"text"', "{\"__proto__\":{\"x\":1}}", '{"title":"\\ud800"}', "a=%E0%A4%A&b=%", "\u0000\u0001").map((data) => ({ type: "application/json", data })),
  fc.tuple(fc.constantFrom("text/plain", "multipart/form-data; boundary=x", "application/xml", "application/json; charset=latin1", "garbage"), nastyText)
    .map(([type, data]) => ({ type, data })),
);

/** A concrete path for a route pattern: its :params filled with valid ids or anything else. */
function pathFor(pattern: string, ids: string[], valid: Record<string, string>): fc.Arbitrary<string> {
  const parts = pattern.split(/(:\w+|\*\w+)/);
  const param = (name: string) => fc.oneof(
    ...(valid[name] ? [{ weight: 4, arbitrary: fc.constant(valid[name]) }] : []),
    fc.constantFrom(...ids),
    fc.constantFrom("0", "-1", "1", "2", "99999999999999999999", "%", "%zz", "%ED%A0%80", "..", "a%2Fb", "x".repeat(300)),
    fc.string({ minLength: 1, maxLength: 12 }).map((s) => encodeURIComponent(s)),
  );
  return fc.tuple(...parts.map((p) => (/^[:*]\w+$/.test(p) ? param(p.slice(1)) : fc.constant(p)))).map((xs) => xs.join(""));
}

const queryArb = fc.oneof(
  fc.constant(""),
  fields([]).map((f) => `?${encodeForm(f)}`),
  fc.constantFrom("?flow=a&flow=b", "?error=x&error=y&code=c&state=s", "?%", "?a=%ED%A0%80", "?code=x&state=y", "?limit=-1&since_id=99999999999999999999"),
);

const headerText = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, "?"));

/** A route with what makes requests to it go deep: the fields its forms send. */
export interface FuzzRoute extends RouteInfo {
  fields?: string[];
}

const mostly = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

/**
 * Requests to `routes`: path params mostly the valid ids in `valid` (by param
 * name), else any of `ids` or something odd; mostly signed in with a valid CSRF
 * token, so requests get past the guards to the code behind them.
 */
export function requestArb(routes: FuzzRoute[], ids: string[], identity: Identity, valid: Record<string, string> = {}): fc.Arbitrary<FuzzRequest> {
  const withForms = routes.filter((r) => r.fields?.length && r.methods.some((m) => m !== "GET"));
  return fc.oneof(
    { weight: 2, arbitrary: anyRequest(routes, ids, identity, valid) },
    ...(withForms.length ? [{ weight: 1, arbitrary: oneBadField(withForms, identity, valid) }] : []),
  );
}

/** Plausible text for a field, so that a form fails only on the field under test. */
function plausible(field: string): string {
  if (/email|username/i.test(field)) return "someone@example.com";
  if (/password/i.test(field)) return "long-enough-password";
  if (/role/i.test(field)) return "member";
  if (/priority/i.test(field)) return "normal";
  if (/decision/i.test(field)) return "approve";
  return "Plain text";
}

/**
 * A form of a real route, as the signed-in person with a valid CSRF token, that
 * is right except for one field: text with a lone surrogate, an object, a list,
 * a number, nothing. Random requests rarely get this far, and this is where
 * such values reach the database or are shown again.
 */
function oneBadField(routes: FuzzRoute[], identity: Identity, valid: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...routes).chain((route) => fc.record({
    path: pathFor(route.path, Object.values(valid).length ? Object.values(valid) : ["1"], valid),
    field: fc.constantFrom(...route.fields!),
    bad: fc.oneof(loneSurrogateText, fc.constantFrom<unknown>({ toString: 1 }, { valueOf: "x" }, ["a", "b"], [{}], 1e20, -1, 1.5, true, null, "", "x".repeat(20_000))),
    json: fc.boolean(),
  }).map(({ path, field, bad, json }) => {
    const values: Record<string, unknown> = { _csrf: identity.csrf, ...Object.fromEntries(route.fields!.map((f) => [f, plausible(f)])), [field]: bad };
    const method = route.methods.find((m) => m !== "GET") ?? "POST";
    const headers: Record<string, string> = { accept: "text/html", "content-type": json ? "application/json" : "application/x-www-form-urlencoded" };
    if (identity.cookie) headers.cookie = identity.cookie;
    return { method, path, headers, body: Buffer.from(json ? JSON.stringify(values) : encodeForm(values)) };
  }));
}

function anyRequest(routes: FuzzRoute[], ids: string[], identity: Identity, valid: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    route: fc.constantFrom(...routes),
    otherMethod: fc.option(fc.constantFrom(...METHODS), { freq: 4 }),
    signedIn: mostly,
    withCsrf: mostly,
    query: queryArb,
    accept: fc.constantFrom("text/html", "application/json", "*/*", "text/plain", "garbage"),
    authorization: fc.option(fc.oneof(fc.constantFrom(...(identity.authorizations ?? ["Bearer nope"])), headerText.map((t) => `Bearer ${t}`),
      fc.string({ maxLength: 30 }).map((s) => `Basic ${Buffer.from(s, "latin1").toString("base64")}`), fc.constantFrom("Basic ===", "Basic JUUw", "Digest x")), { freq: 2 }),
    extraHeaders: fc.dictionary(fc.constantFrom("origin", "referer", "x-forwarded-for", "sec-fetch-site", "x-requested-with", "if-none-match", "range", "x-http-method-override"), headerText, { maxKeys: 2 }),
    seed: fc.integer(),
  }).chain((r) => fc.tuple(fc.constant(r), pathFor(r.route.path, ids, valid), bodyArb(r.route.fields ?? [], r.withCsrf ? identity.csrf : undefined))).map(([r, path, body]) => {
    const method = r.otherMethod ?? r.route.methods[Math.abs(r.seed) % r.route.methods.length] ?? "GET";
    const headers: Record<string, string> = { accept: r.accept, ...r.extraHeaders };
    if (r.signedIn && identity.cookie) headers.cookie = identity.cookie;
    if (r.authorization) headers.authorization = r.authorization;
    const send = body && method !== "GET" && method !== "HEAD";
    if (send) headers["content-type"] = body.type;
    return { method, path: `${path}${r.query}`, headers, ...(send ? { body: Buffer.from(body.data) } : {}) };
  });
}

/**
 * The fields each route's forms send, read from the pages of `routes` (GET,
 * params filled from `valid`, as `cookie`): every <form action> matched to the
 * route pattern it posts to.
 */
export async function withFormFields(baseUrl: string, routes: RouteInfo[], valid: Record<string, string>, cookie?: string): Promise<FuzzRoute[]> {
  const found = new Map<string, Set<string>>();
  const patternOf = (action: string) => routes.find((r) => new RegExp(`^${r.path.replace(/[.]/g, "\\.").replace(/:\w+/g, "[^/]+")}$`).test(action))?.path;
  for (const route of routes.filter((r) => r.methods.includes("GET") && !r.path.includes("*"))) {
    const path = route.path.replace(/:(\w+)/g, (_m, name: string) => valid[name] ?? "1");
    const res = await fetch(`${baseUrl}${path}`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
    const html = await res.text();
    for (const [, action, inner] of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
      const pattern = patternOf(new URL(action!.replace(/&amp;/g, "&"), baseUrl).pathname);
      if (!pattern) continue;
      const names = found.get(pattern) ?? new Set<string>();
      for (const [, name] of inner!.matchAll(/name="([^"]+)"/g)) if (name !== "_csrf") names.add(name!);
      found.set(pattern, names);
    }
  }
  return routes.map((r) => ({ ...r, fields: [...(found.get(r.path) ?? [])] }));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const STREAM_GRACE_MS = 2_000;

/** Sends the request as is (no normalising of path or headers) and answers status and body. */
export function send(baseUrl: string, req: FuzzRequest, retried = false): Promise<{ status: number; text: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // Node sends a DELETE's (or OPTIONS') body with neither Content-Length nor
    // chunked encoding, so the server rightly reads those bytes as a next,
    // malformed request: say how long the body is.
    const headers = req.body ? { "content-length": String(req.body.length), ...req.headers } : req.headers;
    const r = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const answer = () => ({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8").slice(0, 2000) });
      // A streaming answer (the local Flowdock's Streaming API) never ends on its
      // own and its keep-alives hold the socket open: take what came and hang up.
      const streaming = setTimeout(() => {
        resolve(answer());
        r.destroy();
      }, STREAM_GRACE_MS);
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(streaming);
        resolve(answer());
      });
      res.on("error", (err) => {
        clearTimeout(streaming);
        reject(err);
      });
    });
    // A kept-alive connection the server closed meanwhile (e.g. after refusing a
    // malformed request) is retried once on a fresh one, as Node's docs advise.
    r.on("error", (err: NodeJS.ErrnoException) => (r.reusedSocket && err.code === "ECONNRESET" && !retried ? send(baseUrl, req, true).then(resolve, reject) : reject(err)));
    r.setTimeout(10_000, () => r.destroy(new Error(`no answer within 10 s to ${req.method} ${req.path}`)));
    r.end(req.body);
  });
}

/**
 * Watches a SQLite file through a connection of its own: `PRAGMA data_version`
 * moves whenever another connection commits, so most checks cost one query;
 * only then are the tables compared (those in `ignored` hold sessions and
 * rate-limit counters, which a refused request may rightly move).
 */
export interface Watcher {
  /** The watched tables that changed since the last call, by name. */
  changedTables(): Promise<string[]>;
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export class SqliteWatcher implements Watcher {
  private readonly db: Sqlite.Database;
  private version: number;
  private snapshot: string;

  constructor(file: string, private readonly ignored: string[]) {
    this.db = new Sqlite(file, { readonly: true, fileMustExist: true });
    this.version = this.dataVersion();
    this.snapshot = this.contents();
  }

  async changedTables(): Promise<string[]> {
    const version = this.dataVersion();
    if (version === this.version) return [];
    this.version = version;
    const before = JSON.parse(this.snapshot) as Record<string, string>;
    this.snapshot = this.contents();
    const after = JSON.parse(this.snapshot) as Record<string, string>;
    return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
  }

  async counts(): Promise<Record<string, number>> {
    return Object.fromEntries(this.tables().map((t) => [t, (this.db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n]));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  private tables(): string[] {
    return (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[])
      .map((r) => r.name).filter((t) => !this.ignored.includes(t));
  }

  private contents(): string {
    return JSON.stringify(Object.fromEntries(this.tables().map((t) => {
      const rows = this.db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).raw().all();
      return [t, crypto.createHash("sha256").update(JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : Buffer.isBuffer(v) ? v.toString("hex") : v))).digest("hex")];
    })));
  }
}

/** The same for PostgreSQL: every table's contents hashed by the server, in one query per check. */
export class PostgresWatcher implements Watcher {
  private snapshot: Record<string, string> = {};
  private query = "";

  private constructor(private readonly client: pg.Client) {}

  static async open(url: string, ignored: string[]): Promise<PostgresWatcher> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const watcher = new PostgresWatcher(client);
    const tables = (await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")).rows
      .map((r) => r.name).filter((t) => !ignored.includes(t));
    watcher.query = `SELECT ${tables.map((t) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM "${t}" x) AS "${t}"`).join(", ")}`;
    watcher.snapshot = await watcher.contents();
    return watcher;
  }

  async changedTables(): Promise<string[]> {
    const before = this.snapshot;
    this.snapshot = await this.contents();
    return Object.keys(before).filter((t) => before[t] !== this.snapshot[t]);
  }

  async counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of Object.keys(this.snapshot)) out[t] = Number((await this.client.query(`SELECT COUNT(*) AS n FROM "${t}"`)).rows[0].n);
    return out;
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  private async contents(): Promise<Record<string, string>> {
    return (await this.client.query<Record<string, string>>(this.query)).rows[0]!;
  }
}
