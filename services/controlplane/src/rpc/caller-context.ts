import type { CallContext } from "nice-grpc";
import type { RequestAttributes } from "../request-attributes.js";

/**
 * What a public handler gets: the call's context plus what the request hooks
 * attached, among them the principal (identity/principal.ts: `principalOf`),
 * whose team every sandbox operation is scoped to.
 */
export type CallerContext = CallContext & { attributes?: RequestAttributes };
