// Sources: one integration between an application and a flow. A deleted source
// is kept as a tombstone so its flow_token answers 410 Gone rather than 401.
import { randomToken, sha256 } from "../../crypto/random.ts";
import type { SqliteDatabase } from "./database.ts";

export interface SourceRow {
  id: number; flow_id: string; application_id: number; creator_user_id: number | null; name: string;
  external_url: string | null; error_message: string | null; configuration_url: string | null;
  flow_token_hash: string; created_at: string; updated_at: string; deleted_at: string | null;
}

export interface SourceChanges { name?: string; error_message?: string | null; configuration_url?: string | null; external_url?: string | null }

// Timestamps come from the simulator's clock, which tests move, as messages' do.
export function sourcesRepository(db: SqliteDatabase, now: () => number) {
  const byId = db.prepare<[number], SourceRow>("SELECT * FROM sources WHERE id = ? AND deleted_at IS NULL");
  return {
    byId: (id: number) => byId.get(id),
    /** Also a deleted source: threads keep naming the source that posted them. */
    byIdEvenDeleted: (id: number) => db.prepare<[number], SourceRow>("SELECT * FROM sources WHERE id = ?").get(id),
    /** The source a flow token belongs to, deleted or not (callers tell 410 from 401). */
    byFlowToken: (token: string) => db.prepare<[string], SourceRow>("SELECT * FROM sources WHERE flow_token_hash = ?").get(sha256(token)),
    inFlow: (flowId: string) => db.prepare<[string], SourceRow>("SELECT * FROM sources WHERE flow_id = ? AND deleted_at IS NULL ORDER BY id").all(flowId),
    create(input: { flowId: string; applicationId: number; creatorUserId: number; name: string; externalUrl: string | null }) {
      const flowToken = randomToken(24);
      const at = new Date(now()).toISOString();
      const id = db.prepare(`
        INSERT INTO sources (flow_id, application_id, creator_user_id, name, external_url, flow_token_hash, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(input.flowId, input.applicationId, input.creatorUserId, input.name, input.externalUrl, sha256(flowToken), at, at).lastInsertRowid;
      return { source: byId.get(Number(id))!, flowToken };
    },
    update(id: number, changes: SourceChanges): SourceRow {
      const current = byId.get(id)!;
      const next = { ...current, ...changes, updated_at: new Date(now()).toISOString() };
      db.prepare(`UPDATE sources SET name = @name, error_message = @error_message, configuration_url = @configuration_url,
        external_url = @external_url, updated_at = @updated_at WHERE id = @id`).run(next);
      return byId.get(id)!;
    },
    remove: (id: number) => db.prepare("UPDATE sources SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL").run(new Date(now()).toISOString(), id).changes === 1,
  };
}

export type SourcesRepository = ReturnType<typeof sourcesRepository>;
