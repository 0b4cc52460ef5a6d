// Links between Tracker accounts and Flowdock users, and the action tokens
// already used. Returns plain objects.
import type { Database } from "../db/prisma-client.ts";

export interface FlowdockLink {
  flowdockUserId: string;
  userId: string;
  flowdockName: string;
  flowdockEmail: string;
  createdAt: Date;
}

export function flowdockLinksRepository(db: Database) {
  return {
    /** The live account (not disabled, not deleted) linked to a Flowdock user. */
    async accountOf(flowdockUserId: string): Promise<{ id: string; name: string; email: string } | null> {
      const link = await db.flowdockLink.findUnique({
        where: { flowdockUserId },
        select: { user: { select: { id: true, name: true, email: true, disabledAt: true, deletedAt: true } } },
      });
      if (!link || link.user.disabledAt || link.user.deletedAt) return null;
      return { id: link.user.id, name: link.user.name, email: link.user.email };
    },
    linkOf(userId: string): Promise<FlowdockLink | null> {
      return db.flowdockLink.findUnique({ where: { userId } });
    },
    /** One Flowdock user per account and one account per Flowdock user: a new link replaces either old one. */
    async link(userId: string, flowdock: { id: string; name: string; email: string }): Promise<void> {
      await db.$transaction(async (tx) => {
        await tx.flowdockLink.deleteMany({ where: { OR: [{ userId }, { flowdockUserId: flowdock.id }] } });
        await tx.flowdockLink.create({ data: { userId, flowdockUserId: flowdock.id, flowdockName: flowdock.name, flowdockEmail: flowdock.email } });
      });
    },
    async unlink(userId: string): Promise<boolean> {
      const { count } = await db.flowdockLink.deleteMany({ where: { userId } });
      return count > 0;
    },
    /**
     * Records a token as used; false when it was used before. The primary key
     * decides, so two instances receiving the same token at once accept it once.
     * Expired entries are cleared on the way: a replay of those fails its `exp`.
     */
    async useToken(tokenHash: string, expiresAt: Date, now = new Date()): Promise<boolean> {
      await db.usedActionToken.deleteMany({ where: { expiresAt: { lt: now } } });
      try {
        await db.usedActionToken.create({ data: { tokenHash, expiresAt } });
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === "P2002") return false;
        throw err;
      }
    },
  };
}

export type FlowdockLinksRepository = ReturnType<typeof flowdockLinksRepository>;
