export * from "./service-process.js";
export * from "./supervised-service.js";
export * from "./stack.js";
