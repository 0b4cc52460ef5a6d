// Everything the local Flowdock keeps, behind one object.
import { openDatabase, wipeDatabase, type SqliteDatabase } from "./database.ts";
import { directoryRepository } from "./directory.repository.ts";
import { applicationsRepository } from "./applications.repository.ts";
import { grantsRepository } from "./grants.repository.ts";
import { sourcesRepository } from "./sources.repository.ts";
import { inboxRepository } from "./inbox.repository.ts";
import { flowPagesRepository } from "./flow-pages.repository.ts";
import { flowEventsRepository } from "./flow-events.repository.ts";
import { apiTokensRepository } from "./api-tokens.repository.ts";
import { chatRepository } from "./chat.repository.ts";

export function createStore(file: string, now: () => number = Date.now, options: { eventRetention?: number } = {}) {
  const db: SqliteDatabase = openDatabase(file);
  const events = flowEventsRepository(db, options.eventRetention);
  return {
    db,
    directory: directoryRepository(db),
    applications: applicationsRepository(db),
    grants: grantsRepository(db, now),
    sources: sourcesRepository(db, now),
    inbox: inboxRepository(db, now),
    flowPages: flowPagesRepository(db),
    apiTokens: apiTokensRepository(db, now),
    chat: chatRepository(db, now),
    events,
    wipe: () => {
      wipeDatabase(db);
      // Deleting the messages logged events of their own; they describe nothing now.
      events.reset();
    },
    close: () => db.close(),
  };
}

export type Store = ReturnType<typeof createStore>;
