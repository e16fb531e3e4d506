import type { User, UserSnapshot } from "../users/user-db.js";
import type { AccessChecker } from "./access.js";

/** Who acts, how their rights are checked, and how ids become names, for one call. */
export interface FsContext {
  user: User;
  access: AccessChecker;
  names: UserSnapshot;
  signal?: AbortSignal;
}
