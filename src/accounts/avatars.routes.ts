// People's avatars as small initials badges, served by the app itself, so the
// avatar URL sent to Flowdock with each activity needs no third-party service.
import crypto from "node:crypto";
import { Router } from "express";
import { notFound } from "../errors.ts";
import type { UsersRepository } from "./users.repository.ts";

export function avatarsRoutes(deps: { users: UsersRepository }): Router {
  const router = Router();
  router.get("/avatars/:userId.svg", async (req, res) => {
    const user = await deps.users.findById(String(req.params.userId));
    if (!user) throw notFound("Avatar");
    const initials = user.name.split(/\s+/).map((w) => w[0] ?? "").join("").slice(0, 2).toUpperCase().replace(/[^A-Z0-9]/g, "?");
    const hue = crypto.createHash("sha256").update(user.id).digest()[0]! * 360 / 256;
    res.type("image/svg+xml").set("cache-control", "public, max-age=86400").send(
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="32" fill="hsl(${hue.toFixed(0)} 45% 40%)"/><text x="32" y="41" font-family="sans-serif" font-size="24" font-weight="700" fill="#fff" text-anchor="middle">${initials}</text></svg>`,
    );
  });
  return router;
}
