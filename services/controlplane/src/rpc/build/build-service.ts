import type { BuildServiceImplementation } from "@wrenn/gen/wrenn/api/v1/template.js";
import type { BuildOperations } from "../../templates/build-operations.js";
import type { TemplateOperations } from "../../templates/template-operations.js";
import { cancelBuildHandler } from "./cancel-build.js";
import { createBuildHandler } from "./create-build.js";
import { getBuildHandler } from "./get-build.js";
import { listBuildsHandler } from "./list-builds.js";
import { watchBuildHandler } from "./watch-build.js";

export function createBuildService(builds: BuildOperations, templates: TemplateOperations): BuildServiceImplementation {
  return {
    createBuild: createBuildHandler(builds),
    listBuilds: listBuildsHandler(builds),
    getBuild: getBuildHandler(builds),
    cancelBuild: cancelBuildHandler(builds),
    watchBuild: watchBuildHandler(builds, templates),
  };
}
