// What a person signing in (or up) in the middle of a setup is told: that
// they are connecting Tracker to a Flowdock flow, and which one as far as we
// know. Flowdock's guide has the setup URI identify the person before OAuth,
// so at this point we hold only what the setup link carries: the flow's id and,
// when the link template passes it, its API address, whose path names the
// organization and the flow (/flows/acme/main). Display names ("Acme Inc /
// Main") come only with the access token, on the confirmation screen.
import type { RequestHandler } from "express";

export interface SetupContext {
  /** "acme / main" when the setup link says so, null when only the flow id is known. */
  flow: string | null;
}

const SETUP_PATH = "/flowdock/setup?";

export function setupContextLocals(flowdockApiUrl: string): RequestHandler {
  return (req, res, next) => {
    const target = req.session?.returnTo;
    if (typeof target === "string" && target.startsWith(SETUP_PATH)) {
      const flowUrl = new URLSearchParams(target.slice(SETUP_PATH.length)).get("flow_url");
      res.locals.setupContext = { flow: flowNamed(flowUrl, flowdockApiUrl) } satisfies SetupContext;
    }
    next();
  };
}

function flowNamed(flowUrl: string | null, apiUrl: string): string | null {
  if (!flowUrl?.startsWith(`${apiUrl}/flows/`)) return null;
  const [org, flow, ...rest] = flowUrl.slice(`${apiUrl}/flows/`.length).split("/");
  // Parameterized names are plain words; anything else is not worth showing.
  const plain = /^[\w-]{1,100}$/;
  if (!org || !flow || rest.length || !plain.test(org) || !plain.test(flow)) return null;
  return `${org} / ${flow}`;
}
