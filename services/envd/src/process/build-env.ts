import type { User } from "../users/user-db.js";

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * A process sees a small login-like base for its user, then the sandbox's
 * defaults from Init, then the request's own envs. envd's own environment
 * (its configuration) is deliberately not inherited.
 */
export function buildEnv(
  user: User,
  sandboxEnvs: Record<string, string>,
  requestEnvs: Record<string, string>,
): Record<string, string> {
  const base: Record<string, string> = {
    PATH: defaultPath,
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    SHELL: user.shell,
    LANG: "C.UTF-8",
  };
  return { ...base, ...sandboxEnvs, ...requestEnvs };
}
