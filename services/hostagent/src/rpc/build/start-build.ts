import type { StartBuildRequest, StartBuildResponse } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import { errors } from "@wrenn/shared";
import type { Builder } from "../../build/builder.js";

/** StartBuild: the first message is the spec, every later one an archive chunk. */
export function startBuildHandler(builder: Builder) {
  return async (requests: AsyncIterable<StartBuildRequest>): Promise<StartBuildResponse> => {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    const spec = first.done ? undefined : first.value.spec;
    if (spec === undefined) throw errors.invalidArgument("the first StartBuild message must be the spec");
    async function* chunks(): AsyncGenerator<Uint8Array> {
      while (true) {
        const next = await iterator.next();
        if (next.done) return;
        if (next.value.spec !== undefined) throw errors.invalidArgument("only the first StartBuild message may be a spec");
        if (next.value.archiveChunk !== undefined) yield next.value.archiveChunk;
      }
    }
    return builder.start(spec, chunks());
  };
}
