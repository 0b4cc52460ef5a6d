// `npm run simulator`: the local Flowdock alone, configured like `npm start`.
import { ConfigError, loadConfig } from "../config.ts";
import { createLogger, wantsPrettyLogs } from "../observability/logger.ts";
import { startLocalFlowdock } from "./server.ts";
import { localFlowdockOptions } from "./options.ts";
import { onShutdown } from "../shutdown.ts";

try {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "local-flowdock", pretty: wantsPrettyLogs(config.env) });
  const flowdock = await startLocalFlowdock(localFlowdockOptions(config, logger));
  logger.info({ url: flowdock.url }, "local Flowdock listening: sign in as alice@example.com / flowdock");
  onShutdown(logger, [flowdock.close]);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
