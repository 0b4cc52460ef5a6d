// A one-time confirmation ("Sam was added") carried in the session across the
// redirect that follows a POST, shown by the next page that renders the header.
import type { Request, RequestHandler } from "express";

declare module "express-session" {
  interface SessionData {
    flash?: string;
  }
}

export function flash(req: Request, message: string): void {
  req.session.flash = message;
}

/** Pages read it lazily, so a redirect or a JSON answer never uses it up. */
export const flashLocals: RequestHandler = (req, res, next) => {
  res.locals.takeFlash = (): string | null => {
    const message = req.session?.flash ?? null;
    if (message !== null) delete req.session.flash;
    return message;
  };
  next();
};
