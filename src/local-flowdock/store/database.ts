// The local Flowdock's own storage: one SQLite file (or :memory: in tests), kept
// apart from the app's database exactly as the hosted service's data was.
// Credentials (passwords, OAuth tokens, flow tokens) are stored only as hashes,
// so, as on the hosted service, a flow_token can never be read back.
import fs from "node:fs";
import path from "node:path";
import Sqlite from "better-sqlite3";

export type SqliteDatabase = Sqlite.Database;

// Append-only: each entry upgrades the schema by one version (PRAGMA user_version).
const MIGRATIONS = [
  `
  CREATE TABLE organizations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, parameterized_name TEXT NOT NULL UNIQUE,
    user_limit INTEGER NOT NULL DEFAULT 50, active INTEGER NOT NULL DEFAULT 1
  );
  CREATE TABLE users (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, nick TEXT NOT NULL,
    password_hash TEXT NOT NULL, avatar TEXT, website TEXT
  );
  CREATE TABLE organization_members (
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    admin INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (organization_id, user_id)
  );
  CREATE TABLE flows (
    id TEXT PRIMARY KEY, organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL, parameterized_name TEXT NOT NULL, access_mode TEXT NOT NULL DEFAULT 'invitation',
    open INTEGER NOT NULL DEFAULT 1, UNIQUE (organization_id, parameterized_name)
  );
  CREATE TABLE flow_members (
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, PRIMARY KEY (flow_id, user_id)
  );
  CREATE TABLE applications (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, client_id TEXT NOT NULL UNIQUE, client_secret TEXT NOT NULL,
    callback_uri TEXT NOT NULL, setup_uri TEXT, configuration_uri TEXT, icon_url TEXT,
    owner_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL, created_at TEXT NOT NULL
  );
  CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY, application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, redirect_uri TEXT, scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used_at INTEGER
  );
  CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY, application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL, grant_id TEXT NOT NULL
  );
  CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY, application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, scope TEXT NOT NULL,
    grant_id TEXT NOT NULL, revoked_at INTEGER
  );
  CREATE INDEX access_tokens_grant ON access_tokens(grant_id);
  CREATE INDEX refresh_tokens_grant ON refresh_tokens(grant_id);
  CREATE TABLE sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    creator_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    name TEXT NOT NULL, external_url TEXT, error_message TEXT, configuration_url TEXT,
    flow_token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    deleted_at TEXT
  );
  CREATE INDEX sources_flow ON sources(flow_id);
  CREATE TABLE threads (
    id TEXT PRIMARY KEY, flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL, external_thread_id TEXT,
    title TEXT NOT NULL, body TEXT, external_url TEXT, status TEXT, fields TEXT, actions TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, updated_seq INTEGER NOT NULL DEFAULT 0,
    UNIQUE (flow_id, source_id, external_thread_id)
  );
  CREATE INDEX threads_recent ON threads(flow_id, updated_seq DESC);
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL, event TEXT NOT NULL, title TEXT,
    body TEXT, author TEXT, tags TEXT NOT NULL DEFAULT '[]', uuid TEXT, external_thread_id TEXT,
    thread TEXT, sent INTEGER NOT NULL,
    UNIQUE (flow_id, uuid)
  );
  CREATE INDEX messages_thread ON messages(thread_id, id);
  CREATE TABLE web_sessions (
    sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL
  );
  `,
  // rate-limiter-flexible's RateLimiterSQLite counters (its own table layout).
  `
  CREATE TABLE rate_limits (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER);
  `,
  // PKCE (RFC 7636): the S256 challenge a code was issued for.
  `
  ALTER TABLE authorization_codes ADD COLUMN code_challenge TEXT;
  `,
  // Personal API tokens (HTTP Basic): one per user, kept as a hash like every
  // credential here; `hint` is the tail the Tokens page shows to tell tokens apart.
  `
  CREATE TABLE api_tokens (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE, hint TEXT NOT NULL, created_at TEXT NOT NULL
  );
  `,
  // Chat: messages posted by people (content, user, app) and comments on a parent;
  // threads started in chat are told apart from team-inbox threads by their app.
  `
  ALTER TABLE messages ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
  ALTER TABLE messages ADD COLUMN content TEXT;
  ALTER TABLE messages ADD COLUMN app TEXT NOT NULL DEFAULT 'influx';
  ALTER TABLE messages ADD COLUMN parent_id INTEGER;
  ALTER TABLE messages ADD COLUMN external_user_name TEXT;
  ALTER TABLE messages ADD COLUMN edited_at INTEGER;
  ALTER TABLE threads ADD COLUMN app TEXT NOT NULL DEFAULT 'influx';
  CREATE INDEX messages_flow ON messages(flow_id, id);
  `,
  // The flow event log behind the Streaming API (flow-events.repository.ts).
  // Triggers, not repository code, write it, so every writer of messages,
  // threads and sources publishes, today's and tomorrow's alike, and an event
  // commits or rolls back with the change it describes. flow_event_logged() is
  // registered by openDatabase and wakes the in-process bus.
  `
  CREATE TABLE flow_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flow_id TEXT NOT NULL, kind TEXT NOT NULL,
    message_id INTEGER, thread_id TEXT, source_id INTEGER, detail TEXT, at INTEGER NOT NULL
  );
  CREATE INDEX flow_events_flow ON flow_events(flow_id, id);
  CREATE TRIGGER flow_events_message_insert AFTER INSERT ON messages BEGIN
    INSERT INTO flow_events (flow_id, kind, message_id, thread_id, at) VALUES (NEW.flow_id, 'message', NEW.id, NEW.thread_id, flow_event_logged());
  END;
  CREATE TRIGGER flow_events_message_tags AFTER UPDATE OF tags ON messages WHEN OLD.tags IS NOT NEW.tags BEGIN
    INSERT INTO flow_events (flow_id, kind, message_id, thread_id, detail, at) VALUES (NEW.flow_id, 'tag-change', NEW.id, NEW.thread_id, OLD.tags, flow_event_logged());
  END;
  CREATE TRIGGER flow_events_message_edit AFTER UPDATE OF content, title, body ON messages
  WHEN OLD.content IS NOT NEW.content OR OLD.title IS NOT NEW.title OR OLD.body IS NOT NEW.body BEGIN
    INSERT INTO flow_events (flow_id, kind, message_id, thread_id, at) VALUES (NEW.flow_id, 'message-edit', NEW.id, NEW.thread_id, flow_event_logged());
  END;
  CREATE TRIGGER flow_events_message_delete AFTER DELETE ON messages BEGIN
    INSERT INTO flow_events (flow_id, kind, message_id, thread_id, at) VALUES (OLD.flow_id, 'message-delete', OLD.id, OLD.thread_id, flow_event_logged());
  END;
  CREATE TRIGGER flow_events_thread_change AFTER UPDATE ON threads
  WHEN OLD.title IS NOT NEW.title OR OLD.body IS NOT NEW.body OR OLD.external_url IS NOT NEW.external_url
    OR OLD.status IS NOT NEW.status OR OLD.fields IS NOT NEW.fields OR OLD.actions IS NOT NEW.actions BEGIN
    INSERT INTO flow_events (flow_id, kind, thread_id, at) VALUES (NEW.flow_id, 'thread-change', NEW.id, flow_event_logged());
  END;
  CREATE TRIGGER flow_events_source_error AFTER UPDATE OF error_message ON sources
  WHEN OLD.error_message IS NOT NEW.error_message BEGIN
    INSERT INTO flow_events (flow_id, kind, source_id, at) VALUES (NEW.flow_id, 'source-error', NEW.id, flow_event_logged());
  END;
  `,
  // The flow pages page through a flow's team inbox and its chat by keyset
  // (flow-pages.repository.ts); these let them read one page, never the flow.
  `
  CREATE INDEX threads_inbox ON threads(flow_id, updated_seq) WHERE app = 'influx';
  CREATE INDEX messages_chat ON messages(flow_id, id) WHERE event IN ('message', 'status', 'comment');
  `,
];

// Who hears that a trigger logged a flow event, per connection (the event bus).
const eventListeners = new WeakMap<SqliteDatabase, () => void>();

/** Calls `listener` (synchronously, inside the writing statement) whenever a flow event is logged. */
export function onFlowEventLogged(db: SqliteDatabase, listener: () => void): void {
  eventListeners.set(db, listener);
}

export function openDatabase(file: string): SqliteDatabase {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Sqlite(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // Called by the flow_events triggers: answers the event's time and wakes the bus.
  db.function("flow_event_logged", { deterministic: false }, () => {
    eventListeners.get(db)?.();
    return Date.now();
  });
  const version = db.pragma("user_version", { simple: true }) as number;
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  })();
  return db;
}

/** Wipes every row (for the control API's reset); the schema stays. */
export function wipeDatabase(db: SqliteDatabase): void {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[];
  db.pragma("foreign_keys = OFF");
  db.transaction(() => {
    for (const { name } of tables) db.exec(`DELETE FROM "${name}"`);
    db.exec(`DELETE FROM sqlite_sequence`);
  })();
  db.pragma("foreign_keys = ON");
}
