-- Deleted accounts: the user row stays as a tombstone (scrubbed), so the issues and comments a person wrote keep an author, and integrations they connected are suspended as "connector deleted".

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "deletedAt" TIMESTAMP(3);
