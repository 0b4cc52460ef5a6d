-- The source-state reconciler: the configuration_url set on each source, the suspension last observed (for the audit trail) and a per-integration lease.
-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "observedSuspension" TEXT,
ADD COLUMN     "reportedConfigurationUrl" TEXT,
ADD COLUMN     "sourceSyncLeaseOwner" TEXT,
ADD COLUMN     "sourceSyncLeaseUntil" TIMESTAMP(3);

