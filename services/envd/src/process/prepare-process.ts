import { kernelRandomBytes } from "../util/kernel-random.js";
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { errors } from "@wrenn/shared";
import type { MetadataStore } from "../metadata/store.js";
import type { ActorResolver } from "../users/actor.js";
import { buildEnv } from "./build-env.js";
import type { ProcessSpec } from "./process-spec.js";
import { resolveCommand } from "./resolve-command.js";

export interface StartInput {
  cmd: string;
  args: string[];
  envs: Record<string, string>;
  cwd?: string;
  user?: string;
  tag?: string;
  stdin?: Buffer;
  timeoutMs: number;
  background?: boolean;
  keepStdinOpen?: boolean;
  pty?: { rows: number; cols: number };
}

const envNamePattern = /^[^=\0]+$/;

/**
 * Everything that can be wrong with a start request is found here, before a
 * child exists: unknown user, missing cwd, missing command. Each gets its own
 * status and a message naming the culprit.
 */
export function prepareProcess(input: StartInput, metadata: MetadataStore, resolveActor: ActorResolver): ProcessSpec {
  if (!input.cmd) throw errors.invalidArgument("process.cmd is required");
  if (input.cmd.includes("\0")) throw errors.invalidArgument("process.cmd must not contain NUL bytes");
  if (input.args.some((a) => a.includes("\0"))) throw errors.invalidArgument("process.args must not contain NUL bytes");
  for (const [key, value] of Object.entries(input.envs)) {
    if (!envNamePattern.test(key)) throw errors.invalidArgument(`invalid environment variable name "${key}"`);
    if (value.includes("\0")) throw errors.invalidArgument(`environment variable ${key} must not contain NUL bytes`);
  }

  const user = resolveActor(input.user);
  const daemonUid = process.getuid?.() ?? 0;
  if (daemonUid !== 0 && user.uid !== daemonUid) {
    throw errors.permissionDenied(`envd does not run as root and cannot start processes as "${user.name}"`);
  }

  const cwd = resolveCwd(input.cwd, user.home, metadata.get().defaultWorkdir);
  if (input.tag !== undefined && input.tag.includes("\0")) throw errors.invalidArgument("tag must not contain NUL bytes");
  if (input.tag !== undefined && /^\d+$/.test(input.tag)) {
    throw errors.invalidArgument(`tag "${input.tag}" is a number; numbers select pids, so tags must not be numeric`);
  }
  if (input.pty) validatePtySize(input.pty);

  const env = buildEnv(user, metadata.get().envs, input.envs);
  // Programs such as tput and bash's line editing need a terminal type.
  if (input.pty && !env.TERM) env.TERM = "xterm-256color";
  const file = resolveCommand(input.cmd, env.PATH ?? "", cwd);
  const tag = input.tag && input.tag.length > 0 ? input.tag : `proc-${kernelRandomBytes(4).toString("hex")}`;

  return {
    file,
    cmd: input.cmd,
    args: input.args,
    env,
    cwd,
    user,
    tag,
    stdin: input.stdin && input.stdin.length > 0 ? input.stdin : undefined,
    timeoutMs: input.timeoutMs,
    background: input.background ?? false,
    keepStdinOpen: (input.keepStdinOpen ?? false) || input.pty !== undefined,
    pty: input.pty ? { rows: input.pty.rows, cols: input.pty.cols } : undefined,
  };
}

/** Terminal sizes are 16-bit in the kernel; 0 rows or columns confuses every program. */
export function validatePtySize(size: { rows: number; cols: number }): void {
  for (const [name, value] of [
    ["rows", size.rows],
    ["cols", size.cols],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw errors.invalidArgument(`pty.${name} must be between 1 and 65535, got ${value}`);
    }
  }
}

function resolveCwd(requested: string | undefined, home: string, defaultWorkdir: string | undefined): string {
  if (requested === undefined || requested === "") {
    // The template's WORKDIR; a template whose directory was removed since falls back to the home.
    if (defaultWorkdir && isDirectory(defaultWorkdir)) return defaultWorkdir;
    // Accounts such as nobody have a home that does not exist; run in / then.
    return isDirectory(home) ? home : "/";
  }
  const cwd = requested === "~" ? home : requested.startsWith("~/") ? resolve(home, requested.slice(2)) : requested;
  const full = isAbsolute(cwd) ? cwd : resolve(home, cwd);
  let isDir: boolean;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    throw errors.invalidArgument(`cwd ${full} does not exist`);
  }
  if (!isDir) throw errors.invalidArgument(`cwd ${full} is not a directory`);
  return full;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
