import type { GetBuildRequest, GetBuildResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { principalOf } from "../../identity/principal.js";
import type { BuildOperations } from "../../templates/build-operations.js";
import type { CallerContext } from "../caller-context.js";
import { buildIdOf } from "./build-id.js";
import { buildToApi } from "./to-api.js";

export function getBuildHandler(operations: BuildOperations) {
  return async function getBuild(request: GetBuildRequest, context: CallerContext): Promise<GetBuildResponse> {
    const teamId = principalOf(context).teamId;
    return { build: buildToApi(await operations.get(teamId, buildIdOf(request.buildId))) };
  };
}
