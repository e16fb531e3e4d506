import { fromWireId } from "@wrenn/shared";

/** The build a request names ("bld-…") as its UUID; malformed is INVALID_ARGUMENT naming the field. */
export function buildIdOf(wireBuildId: string): string {
  return fromWireId("bld", wireBuildId, "build_id");
}
