import { createHash } from "node:crypto";
import type { RecipeStep } from "@wrenn/shared";

/**
 * Step cache keys form a chain: k0 names the starting point (the FROM
 * template as it exists now, and the disk size the build grows it to), and
 * each step's key hashes the previous key, the step's text and its inputs
 * (for COPY the planned selection's content hash). Equal keys mean the same
 * steps ran from the same start on the same inputs.
 */
export function baseKey(fromTemplateId: string, fromCreatedAt: Date, diskMiB: number): string {
  return digest(["from", fromTemplateId, fromCreatedAt.toISOString(), String(diskMiB)]);
}

export function stepKey(previous: string, step: RecipeStep, input = ""): string {
  return digest(["step", previous, step.kind, step.text, input]);
}

function digest(parts: string[]): string {
  const hash = createHash("sha256");
  // Length-prefixed, so no two part lists hash alike.
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:`).update(part);
  return hash.digest("hex");
}
