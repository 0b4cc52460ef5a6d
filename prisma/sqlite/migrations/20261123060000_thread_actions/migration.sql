-- Thread actions: the link between a Tracker account and a Flowdock user, and the
-- FLOWDOCK-TOKENs already used (refused if sent again until they expire).

-- CreateTable
CREATE TABLE "FlowdockLink" (
    "flowdockUserId" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "flowdockName" TEXT NOT NULL,
    "flowdockEmail" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "FlowdockLink_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "UsedActionToken" (
    "tokenHash" TEXT NOT NULL PRIMARY KEY,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "FlowdockLink_userId_key" ON "FlowdockLink"("userId");

-- CreateIndex
CREATE INDEX "UsedActionToken_expiresAt_idx" ON "UsedActionToken"("expiresAt");
