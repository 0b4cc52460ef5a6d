// The local Flowdock's options from the app's config: it registers this app's
// own developer application with exactly the app's client id, secret and URLs.
import type { Config } from "../config.ts";
import type { Logger } from "../observability/logger.ts";
import type { LocalFlowdockOptions } from "./server.ts";

export function localFlowdockOptions(config: Config, logger: Logger): LocalFlowdockOptions {
  return {
    port: config.simulator.port,
    baseUrl: config.simulator.baseUrl,
    databasePath: config.simulator.databasePath,
    tokenTtlSeconds: config.simulator.tokenTtlSeconds,
    rateLimit: config.simulator.rateLimit,
    controlApi: config.simulator.controlApi,
    signInLimit: config.simulator.signInLimit,
    host: config.host,
    sessionSecret: config.sessionSecret,
    integration: {
      name: "Tracker",
      clientId: config.flowdock.clientId,
      clientSecret: config.flowdock.clientSecret,
      appBaseUrl: config.appBaseUrl,
    },
    logger,
  };
}
