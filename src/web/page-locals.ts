// What every page template may use: the signed-in user and a CSRF token for
// its forms. The token is made on first use, so pages without forms don't
// start a session for every anonymous visitor.
import type { RequestHandler } from "express";
import { csrf } from "./session.ts";

export const pageLocals: RequestHandler = (req, res, next) => {
  res.locals.currentUser = req.user ?? null;
  res.locals.csrfToken = () => csrf.generateToken(req);
  next();
};
