export { createGateway, type Gateway, type GatewayOptions, type HttpApi } from "./gateway.js";
export type { HttpHandlerRoute, HttpRequestInfo, HttpRouteRequest } from "./handler-routes.js";
export type { GatewayLimits } from "./transcode-context.js";
