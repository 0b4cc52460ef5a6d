// Helmet's defaults, with the one stylesheet and no scripts from elsewhere.
// Forms post to our own origin, and OAuth sends the browser to Flowdock, which
// is a navigation (not a form target), so form-action stays 'self' plus Flowdock.
import helmet from "helmet";

export function securityHeaders(options: { formTargets?: string[] } = {}) {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:", "http:"],
        "form-action": ["'self'", ...(options.formTargets ?? [])],
        "upgrade-insecure-requests": null,
      },
    },
  });
}
