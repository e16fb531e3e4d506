import type { CancelBuildRequest, CancelBuildResponse } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { Builder } from "../../build/builder.js";

/** CancelBuild answers once the build's sandbox, directory and any half-made template are gone. */
export function cancelBuildHandler(builder: Builder) {
  return async (request: CancelBuildRequest): Promise<CancelBuildResponse> => {
    await builder.cancel(request.buildId);
    return {};
  };
}
