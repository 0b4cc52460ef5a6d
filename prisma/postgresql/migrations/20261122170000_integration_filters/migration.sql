-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "mutedKinds" TEXT NOT NULL DEFAULT '[]';

