import { errors, toWireId } from "@wrenn/shared";
import type { MemberChangeRefusal } from "../../identity/team-membership-store.js";

/** Why a remove, re-role or leave changed nothing, as the caller (a member of the team) is told. */
export function refusalError(refusal: MemberChangeRefusal, teamId: string, userId: string, doing: "removed" | "demoted" | "leave"): Error {
  switch (refusal) {
    case "not_member":
      return errors.notFound(`user ${toWireId("usr", userId)} is not a member of team ${toWireId("team", teamId)}`);
    case "role_not_allowed":
      return errors.permissionDenied("only owners can change or remove an owner");
    case "last_owner":
      return errors.failedPrecondition(
        doing === "leave"
          ? "the last owner cannot leave the team; make another member owner first"
          : `the last owner cannot be ${doing}; make another member owner first`,
      );
  }
}
