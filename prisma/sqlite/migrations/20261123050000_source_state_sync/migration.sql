-- The source-state reconciler: the configuration_url set on each source, the
-- suspension last observed (for the audit trail) and a per-integration lease.

-- AlterTable
ALTER TABLE "Integration" ADD COLUMN "reportedConfigurationUrl" TEXT;
ALTER TABLE "Integration" ADD COLUMN "observedSuspension" TEXT;
ALTER TABLE "Integration" ADD COLUMN "sourceSyncLeaseOwner" TEXT;
ALTER TABLE "Integration" ADD COLUMN "sourceSyncLeaseUntil" DATETIME;
