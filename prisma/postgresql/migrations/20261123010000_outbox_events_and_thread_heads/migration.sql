-- One event row per domain event (fanned out by the worker), and a claimable
-- "dueAt" on each thread's head only. Rows already queued become events of
-- their own, already fanned out, so nothing is sent twice or lost.

-- CreateTable
CREATE TABLE "OutboxEvent" (
    "id" SERIAL NOT NULL,
    "projectId" TEXT NOT NULL,
    "threadKey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "labels" TEXT NOT NULL DEFAULT '[]',
    "payload" TEXT NOT NULL,
    "fannedOut" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OutboxEvent_pkey" PRIMARY KEY ("id")
);

INSERT INTO "OutboxEvent" ("id", "projectId", "threadKey", "kind", "labels", "payload", "fannedOut", "createdAt")
SELECT m."id", i."projectId", m."threadKey", '', '[]', m."payload", true, m."createdAt"
FROM "OutboxMessage" m JOIN "Integration" i ON i."id" = m."integrationId";
SELECT setval(pg_get_serial_sequence('"OutboxEvent"', 'id'), coalesce((SELECT max("id") FROM "OutboxEvent"), 0) + 1, false);

-- DropIndex
DROP INDEX "OutboxMessage_status_availableAt_idx";

-- CreateIndex
CREATE INDEX "OutboxMessage_status_idx" ON "OutboxMessage"("status");

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "dueAt" TIMESTAMP(3),
ADD COLUMN     "eventId" INTEGER;

UPDATE "OutboxMessage" o SET "eventId" = o."id",
  "dueAt" = CASE WHEN o."status" = 'pending' AND NOT EXISTS (
    SELECT 1 FROM "OutboxMessage" e WHERE e."integrationId" = o."integrationId" AND e."threadKey" = o."threadKey" AND e."id" < o."id" AND e."status" <> 'sent'
  ) THEN GREATEST(o."availableAt", coalesce(o."leaseUntil", o."availableAt")) END;

ALTER TABLE "OutboxMessage" ALTER COLUMN "eventId" SET NOT NULL,
DROP COLUMN "leaseUntil",
DROP COLUMN "payload";

-- CreateIndex
CREATE INDEX "OutboxEvent_fannedOut_id_idx" ON "OutboxEvent"("fannedOut", "id");

-- CreateIndex
CREATE INDEX "OutboxMessage_dueAt_idx" ON "OutboxMessage"("dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "OutboxMessage_eventId_integrationId_key" ON "OutboxMessage"("eventId", "integrationId");

-- AddForeignKey
ALTER TABLE "OutboxMessage" ADD CONSTRAINT "OutboxMessage_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "OutboxEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
