export * from "./errors.js";
export * from "./status-http.js";
export * from "./logger.js";
export * from "./config.js";
export * from "./grpc-server.js";
export * from "./ids.js";
