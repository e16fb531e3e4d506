import { errors } from "@wrenn/shared";

/**
 * A name kept in PostgreSQL (a team's, an API key's): text there cannot hold
 * NUL, and the driver's refusal would surface as INTERNAL. Refused as the
 * caller's mistake instead, like every other bad field.
 */
export function requireStorableName(name: string, field = "name"): void {
  if (name.includes("\u0000")) throw errors.invalidArgument(`${field} must not contain NUL`);
}
