-- Failed and held rows carry a mark in "dueAt" (see DEAD_MARK and HELD_MARK in
-- src/activity-forwarding/outbox-sql.ts), so every thread with something
-- undelivered has one row with a "dueAt", and the status index goes: counts
-- start from the marked rows, and an acknowledgement no longer moves an entry
-- of that index.

-- DropIndex
DROP INDEX "OutboxMessage_status_idx";

-- Failed rows.
UPDATE "OutboxMessage" SET "dueAt" = '9999-12-31T00:00:00.000+00:00' WHERE "status" = 'dead';

-- Heads held back because the integration is not active: the oldest pending
-- row of each thread that has no marked or due row yet.
UPDATE "OutboxMessage" SET "dueAt" = '9999-12-30T00:00:00.000+00:00'
WHERE "status" = 'pending' AND "dueAt" IS NULL
  AND NOT EXISTS (SELECT 1 FROM "OutboxMessage" p WHERE p."integrationId" = "OutboxMessage"."integrationId" AND p."threadKey" = "OutboxMessage"."threadKey" AND p."id" < "OutboxMessage"."id" AND p."status" <> 'sent')
  AND NOT EXISTS (SELECT 1 FROM "OutboxMessage" d WHERE d."integrationId" = "OutboxMessage"."integrationId" AND d."threadKey" = "OutboxMessage"."threadKey" AND d."dueAt" IS NOT NULL);
