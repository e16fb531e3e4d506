export * from "./service-process.js";
export * from "./stack.js";
