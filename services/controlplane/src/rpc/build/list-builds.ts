import type { ListBuildsResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { principalOf } from "../../identity/principal.js";
import type { BuildOperations } from "../../templates/build-operations.js";
import type { CallerContext } from "../caller-context.js";
import { buildToApi } from "./to-api.js";

export function listBuildsHandler(operations: BuildOperations) {
  return async function listBuilds(_request: unknown, context: CallerContext): Promise<ListBuildsResponse> {
    return { builds: (await operations.list(principalOf(context).teamId)).map(buildToApi) };
  };
}
