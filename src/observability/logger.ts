// Structured logs with every secret redacted. Tokens travel in headers, bodies
// and query strings (OAuth `code`, `access_token`, `flow_token`), so all three are
// scrubbed before a line is written.
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

const SECRET_KEYS = [
  "flow_token", "flowToken", "access_token", "accessToken", "refresh_token", "refreshToken",
  "client_secret", "clientSecret", "password", "token", "secret",
];
// In a URL, the OAuth `code` and `state` are credentials too (a code buys a token),
// and so is the `claim` of a thread action's sign-in link.
const SECRET_PARAMS = new RegExp(`([?&](?:${[...SECRET_KEYS, "code", "state", "claim"].join("|")})=)[^&#]*`, "gi");

// The Push API carries a flow's API token in the path.
const SECRET_PATH = /(\/v1\/messages\/(?:team_inbox|chat)\/)[^/?#]+/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, "$1[Redacted]").replace(SECRET_PATH, "$1[Redacted]");
}

export const redactPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers[\"flowdock-token\"]",
  "res.headers[\"set-cookie\"]",
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

export function createLogger(options: { level: string; name: string; pretty?: boolean }, destination?: DestinationStream): Logger {
  // Readable lines for a person at a terminal; JSON everywhere else. Redaction
  // happens before either, so neither ever sees a secret.
  const target = destination ?? (options.pretty ? pino.transport({ target: "pino-pretty", options: { translateTime: "HH:MM:ss", ignore: "pid,hostname" } }) : undefined);
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: redactPaths, censor: "[Redacted]" },
    },
    target,
  );
}

/** Pretty logs when a developer runs it in a terminal; JSON for machines and production. */
export function wantsPrettyLogs(env: string): boolean {
  return env === "development" && process.stdout.isTTY === true;
}

// For pino-http: the request line and the answer's status, with any redirect
// target scrubbed (an OAuth redirect carries `code` and `state`). Headers are
// left out: they carry cookies and tokens.
export const httpLogSerializers = {
  req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }),
  res: (res: { statusCode: number; headers?: Record<string, unknown> }) => {
    const location = res.headers?.location;
    return { statusCode: res.statusCode, ...(typeof location === "string" ? { location: redactUrl(location) } : {}) };
  },
};
