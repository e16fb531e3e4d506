export { createGateway, refuseUpgrade, type Gateway, type GatewayOptions, type HttpApi } from "./gateway.js";
export type { HttpHandlerRoute, HttpRequestInfo, HttpRouteRequest } from "./handler-routes.js";
export type { GatewayLimits } from "./transcode-context.js";
export type { FrontHandler, RawHttpRoute, RawRouteRequest } from "./raw-routes.js";
