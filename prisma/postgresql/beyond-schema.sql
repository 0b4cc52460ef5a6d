-- What the migrations build that Prisma's schema can't express, applied after
-- Prisma's own DDL when the migrations-match-schema test builds its reference
-- database. Each statement names the migration that made it.

-- 20261123200000_outbox_due_index_partial: only rows with a dueAt are indexed.
DROP INDEX "OutboxMessage_dueAt_idx";
CREATE INDEX "OutboxMessage_dueAt_idx" ON "OutboxMessage"("dueAt") WHERE "dueAt" IS NOT NULL;
