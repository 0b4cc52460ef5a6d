-- Thread actions: the link between a Tracker account and a Flowdock user, and the
-- FLOWDOCK-TOKENs already used (refused if sent again until they expire).

-- CreateTable
CREATE TABLE "FlowdockLink" (
    "flowdockUserId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "flowdockName" TEXT NOT NULL,
    "flowdockEmail" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FlowdockLink_pkey" PRIMARY KEY ("flowdockUserId")
);

-- CreateTable
CREATE TABLE "UsedActionToken" (
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UsedActionToken_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateIndex
CREATE UNIQUE INDEX "FlowdockLink_userId_key" ON "FlowdockLink"("userId");

-- CreateIndex
CREATE INDEX "UsedActionToken_expiresAt_idx" ON "UsedActionToken"("expiresAt");

-- AddForeignKey
ALTER TABLE "FlowdockLink" ADD CONSTRAINT "FlowdockLink_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

