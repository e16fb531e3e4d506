import { fromWireId, toWireId } from "@wrenn/shared";
import type { ListAllSandboxesRequest, ListAllSandboxesResponse } from "@wrenn/gen/wrenn/api/v1/admin.js";
import type { SandboxRecord } from "../../lifecycle/sandbox.js";
import type { CallerContext } from "../caller-context.js";
import { sandboxToApi } from "../sandbox/to-api.js";
import { requirePlatformAdmin } from "./admin-caller.js";

/** Every team's visible sandboxes (or one team's), oldest first, with their owning team. */
export type ListSandboxesOfAnyTeam = (teamId: string | null) => Promise<SandboxRecord[]>;

export function listAllSandboxesHandler(listSandboxes: ListSandboxesOfAnyTeam) {
  return async function listAllSandboxes(request: ListAllSandboxesRequest, context: CallerContext): Promise<ListAllSandboxesResponse> {
    requirePlatformAdmin(context);
    const teamId = request.teamId === "" ? null : fromWireId("team", request.teamId, "team_id");
    const records = await listSandboxes(teamId);
    return {
      sandboxes: records.map((record) => ({
        sandbox: sandboxToApi(record, { forOwner: false }),
        teamId: record.teamId ? toWireId("team", record.teamId) : "",
      })),
    };
  };
}
