-- One event row per domain event (fanned out by the worker), and a claimable
-- `dueAt` on each thread's head only. Rows already queued become events of
-- their own, already fanned out, so nothing is sent twice or lost.

-- CreateTable
CREATE TABLE "OutboxEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "projectId" TEXT NOT NULL,
    "threadKey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "labels" TEXT NOT NULL DEFAULT '[]',
    "payload" TEXT NOT NULL,
    "fannedOut" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO "OutboxEvent" ("id", "projectId", "threadKey", "kind", "labels", "payload", "fannedOut", "createdAt")
SELECT m."id", i."projectId", m."threadKey", '', '[]', m."payload", true, m."createdAt"
FROM "OutboxMessage" m JOIN "Integration" i ON i."id" = m."integrationId";

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_OutboxMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "eventId" INTEGER NOT NULL,
    "integrationId" TEXT NOT NULL,
    "threadKey" TEXT NOT NULL,
    "uuid" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "availableAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dueAt" DATETIME,
    "leaseOwner" TEXT,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" DATETIME,
    CONSTRAINT "OutboxMessage_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "OutboxEvent" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "OutboxMessage_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_OutboxMessage" ("attempts", "availableAt", "createdAt", "id", "eventId", "integrationId", "lastError", "leaseOwner", "sentAt", "status", "threadKey", "uuid", "dueAt")
SELECT o."attempts", o."availableAt", o."createdAt", o."id", o."id", o."integrationId", o."lastError", o."leaseOwner", o."sentAt", o."status", o."threadKey", o."uuid",
  CASE WHEN o."status" = 'pending' AND NOT EXISTS (
    SELECT 1 FROM "OutboxMessage" e WHERE e."integrationId" = o."integrationId" AND e."threadKey" = o."threadKey" AND e."id" < o."id" AND e."status" <> 'sent'
  ) THEN max(o."availableAt", coalesce(o."leaseUntil", o."availableAt")) END
FROM "OutboxMessage" o;
DROP TABLE "OutboxMessage";
ALTER TABLE "new_OutboxMessage" RENAME TO "OutboxMessage";
CREATE UNIQUE INDEX "OutboxMessage_uuid_key" ON "OutboxMessage"("uuid");
CREATE INDEX "OutboxMessage_dueAt_idx" ON "OutboxMessage"("dueAt");
CREATE INDEX "OutboxMessage_status_idx" ON "OutboxMessage"("status");
CREATE INDEX "OutboxMessage_integrationId_threadKey_id_idx" ON "OutboxMessage"("integrationId", "threadKey", "id");
CREATE UNIQUE INDEX "OutboxMessage_eventId_integrationId_key" ON "OutboxMessage"("eventId", "integrationId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "OutboxEvent_fannedOut_id_idx" ON "OutboxEvent"("fannedOut", "id");
