export { createGateway, type Gateway, type GatewayOptions } from "./gateway.js";
export type { GatewayLimits } from "./transcode-context.js";
