import type { WatchBuildRequest, WatchBuildResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { principalOf } from "../../identity/principal.js";
import type { BuildOperations } from "../../templates/build-operations.js";
import type { TemplateOperations } from "../../templates/template-operations.js";
import { toWireId } from "@wrenn/shared";
import type { CallerContext } from "../caller-context.js";
import { templateToApi } from "../template/to-api.js";
import { buildIdOf } from "./build-id.js";
import { eventToApi } from "./to-api.js";

/** The stored events, then live ones; the ended event carries the template made (when it still exists). */
export function watchBuildHandler(builds: BuildOperations, templates: TemplateOperations) {
  return async function* watchBuild(request: WatchBuildRequest, context: CallerContext): AsyncGenerator<WatchBuildResponse> {
    const teamId = principalOf(context).teamId;
    const id = buildIdOf(request.buildId);
    for await (const event of builds.watch(teamId, id, request.afterSeq, context.signal)) {
      const madeId = "ended" in event.body ? event.body.ended.templateId : undefined;
      const made = madeId ? await templates.get(teamId, toWireId("tpl", madeId)).catch(() => undefined) : undefined;
      yield { event: eventToApi(event, made ? templateToApi(made) : undefined) };
    }
  };
}
