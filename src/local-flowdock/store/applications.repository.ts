// Developer applications: the OAuth clients that integrations are.
import type { SqliteDatabase } from "./database.ts";

export interface ApplicationRow {
  id: number; name: string; client_id: string; client_secret: string; callback_uri: string;
  setup_uri: string | null; configuration_uri: string | null; icon_url: string | null;
  owner_user_id: number | null; created_at: string;
}

export type ApplicationInput = Pick<ApplicationRow, "name" | "client_id" | "client_secret" | "callback_uri" | "setup_uri" | "configuration_uri" | "icon_url" | "owner_user_id">;

export function applicationsRepository(db: SqliteDatabase) {
  return {
    byId: (id: number) => db.prepare<[number], ApplicationRow>("SELECT * FROM applications WHERE id = ?").get(id),
    byClientId: (clientId: string) => db.prepare<[string], ApplicationRow>("SELECT * FROM applications WHERE client_id = ?").get(clientId),
    all: () => db.prepare<[], ApplicationRow>("SELECT * FROM applications ORDER BY name").all(),
    /** Applications that can be added to a flow: they have a setup URI. */
    installable: () => db.prepare<[], ApplicationRow>("SELECT * FROM applications WHERE setup_uri IS NOT NULL ORDER BY name").all(),
    ownedBy: (userId: number) => db.prepare<[number], ApplicationRow>("SELECT * FROM applications WHERE owner_user_id = ? ORDER BY name").all(userId),
    create(input: ApplicationInput): ApplicationRow {
      const id = db.prepare(`
        INSERT INTO applications (name, client_id, client_secret, callback_uri, setup_uri, configuration_uri, icon_url, owner_user_id, created_at)
        VALUES (@name, @client_id, @client_secret, @callback_uri, @setup_uri, @configuration_uri, @icon_url, @owner_user_id, @created_at)`)
        .run({ ...input, created_at: new Date().toISOString() }).lastInsertRowid;
      return this.byId(Number(id))!;
    },
    /** Creates the application with this client id, or brings it in line with `input`. */
    upsertByClientId(input: ApplicationInput): ApplicationRow {
      const existing = this.byClientId(input.client_id);
      if (!existing) return this.create(input);
      db.prepare(`
        UPDATE applications SET name = @name, client_secret = @client_secret, callback_uri = @callback_uri,
          setup_uri = @setup_uri, configuration_uri = @configuration_uri, icon_url = @icon_url, owner_user_id = @owner_user_id
        WHERE id = @id`).run({ ...input, id: existing.id });
      return this.byId(existing.id)!;
    },
  };
}

export type ApplicationsRepository = ReturnType<typeof applicationsRepository>;
