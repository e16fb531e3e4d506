import { errors } from "@wrenn/shared";

/** Paths are interpreted by envd; here we only refuse what can never be valid. */
export function requirePath(value: string, field: string): void {
  if (!value) throw errors.invalidArgument(`${field} is required`);
  if (value.includes("\u0000")) throw errors.invalidArgument(`${field} must not contain NUL`);
  if (value.length > 4096) throw errors.invalidArgument(`${field} must be at most 4096 characters`);
}
