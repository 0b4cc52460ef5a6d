-- AlterTable
-- (Prisma's diff rewrites the whole table here; SQLite adds a column with a
-- constant default in place, so this migration does just that.)
ALTER TABLE "Integration" ADD COLUMN "mutedKinds" TEXT NOT NULL DEFAULT '[]';
