import type { ListBuildsResponse } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { Builder } from "../../build/builder.js";
import { toWireState } from "./to-wire.js";

export function listBuildsHandler(builder: Builder) {
  return async (): Promise<ListBuildsResponse> => ({
    builds: builder.list().map((b) => ({ buildId: b.buildId, state: toWireState(b.state), lastSeq: b.lastSeq })),
  });
}
