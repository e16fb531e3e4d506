import type { CreateBuildRequest, CreateBuildResponse } from "@wrenn/gen/wrenn/api/v1/template.js";
import { errors } from "@wrenn/shared";
import { isPlatformAdmin, principalOf } from "../../identity/principal.js";
import type { BuildOperations } from "../../templates/build-operations.js";
import type { CallerContext } from "../caller-context.js";
import { buildToApi } from "./to-api.js";

/** An archive message may carry at most this much (the proto's rule). */
const maxChunkBytes = 4 * 1024 * 1024;

/**
 * CreateBuild: the first message is the spec, the rest the archive. The
 * spec is checked (and the build queued on a host) before any of the
 * archive is read; the archive then streams to the host as it comes.
 */
export function createBuildHandler(operations: BuildOperations) {
  return async function createBuild(requests: AsyncIterable<CreateBuildRequest>, context: CallerContext): Promise<CreateBuildResponse> {
    const principal = principalOf(context);
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    const spec = first.done ? undefined : first.value.spec;
    if (!spec) throw errors.invalidArgument("the first message must carry the build's spec");
    async function* archive(): AsyncGenerator<Uint8Array> {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        if (next.value.spec) throw errors.invalidArgument("only the first message may carry a spec");
        const chunk = next.value.archiveChunk;
        if (!chunk) continue;
        if (chunk.length > maxChunkBytes) throw errors.invalidArgument(`archive_chunk must be at most ${maxChunkBytes} bytes`);
        yield chunk;
      }
    }
    const build = await operations.create(
      { teamId: principal.teamId, platformAdmin: isPlatformAdmin(principal) },
      {
        name: spec.name,
        recipe: spec.recipe,
        vcpus: spec.vcpus,
        memoryMib: spec.memoryMib,
        diskMib: spec.diskMib,
        platform: spec.platform,
        stepTimeoutSeconds: spec.stepTimeoutSeconds,
      },
      archive(),
      context.signal,
    );
    return { build: buildToApi(build) };
  };
}
