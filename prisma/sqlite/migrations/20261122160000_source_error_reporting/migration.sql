-- AlterTable
ALTER TABLE "Integration" ADD COLUMN "reportedError" TEXT;

