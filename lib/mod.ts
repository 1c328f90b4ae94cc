/**
 * claude-proxy's embedding surface: build the handler from a config and serve it with any
 * runtime that speaks web-standard Request/Response.
 * @module
 */
export { createHandler, type HandlerDeps } from "./handler.ts";
export { type Config, ConfigError, FLAGS, loadConfig } from "./config.ts";
export { helpText } from "./help.ts";
export { VERSION } from "./version.ts";
