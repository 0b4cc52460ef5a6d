-- The dueAt index holds only rows with a dueAt (a thread's head, a lease, a
-- mark), not the NULL range of every delivered or queued-behind row. Reads
-- were already confined to due rows; this keeps writes there too: a sent row's
-- entry now leaves the index instead of entering the NULL range at its own id,
-- which dirtied a leaf per thread in flight once the backlog passed ~10k rows
-- (README, "Benchmarks", flat drain: 3.2 against 2.0 WAL pages an event).
-- Prisma's schema can't express a partial index; schema.prisma keeps the plain
-- @@index([dueAt]) and prisma/<provider>/beyond-schema.sql restates this one
-- for the migrations-match-schema test.

-- DropIndex
DROP INDEX "OutboxMessage_dueAt_idx";

-- CreateIndex
CREATE INDEX "OutboxMessage_dueAt_idx" ON "OutboxMessage"("dueAt") WHERE "dueAt" IS NOT NULL;
