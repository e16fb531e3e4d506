import { isAbsolute, resolve } from "node:path";
import { errors } from "@wrenn/shared";
import type { User } from "../users/user-db.js";

/**
 * Absolute, normalised path for a caller's path: relative paths and "~"
 * resolve against the acting user's home.
 */
export function resolveUserPath(path: string, user: User, field = "path"): string {
  if (!path) throw errors.invalidArgument(`${field} is required`);
  if (path.includes("\0")) throw errors.invalidArgument(`${field} must not contain NUL bytes`);
  if (path === "~") return resolve(user.home);
  if (path.startsWith("~/")) return resolve(user.home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(user.home, path);
}
