import type { CancelBuildRequest, CancelBuildResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { principalOf } from "../../identity/principal.js";
import type { BuildOperations } from "../../templates/build-operations.js";
import type { CallerContext } from "../caller-context.js";
import { buildIdOf } from "./build-id.js";
import { buildToApi } from "./to-api.js";

export function cancelBuildHandler(operations: BuildOperations) {
  return async function cancelBuild(request: CancelBuildRequest, context: CallerContext): Promise<CancelBuildResponse> {
    const teamId = principalOf(context).teamId;
    return { build: buildToApi(await operations.cancel(teamId, buildIdOf(request.buildId), context.signal)) };
  };
}
