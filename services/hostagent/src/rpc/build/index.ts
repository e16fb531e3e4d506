import type { BuildServiceImplementation } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { Builder } from "../../build/builder.js";
import { cancelBuildHandler } from "./cancel-build.js";
import { listBuildsHandler } from "./list-builds.js";
import { startBuildHandler } from "./start-build.js";
import { watchBuildHandler } from "./watch-build.js";

export function createBuildService(builder: Builder): BuildServiceImplementation {
  return {
    startBuild: startBuildHandler(builder),
    watchBuild: watchBuildHandler(builder),
    cancelBuild: cancelBuildHandler(builder),
    listBuilds: listBuildsHandler(builder),
  };
}
