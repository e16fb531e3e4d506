import { dirname, join } from "node:path";
import { sandboxPaths } from "./template-root.js";

/**
 * The bubblewrap command line for one sandbox. Every namespace is unshared
 * (pid, net with only loopback, ipc, uts, mount, cgroup); bwrap's own init is
 * PID 1 and reaps, envd is its child. No --die-with-parent: a sandbox
 * outlives the agent, which re-adopts it on restart. --new-session stops
 * TIOCSTI tricks on the agent's terminal.
 */
export interface BwrapOptions {
  /** Host path of the merged overlay root. */
  rootfs: string;
  /** Host directory bind-mounted at /run/wrenn: envd binds its socket there, the agent then moves it out of the sandbox's view (namespace-runtime.ts). */
  runDir: string;
  envdBundle: string;
  hostname: string;
  nodePath: string;
  /**
   * true when bwrap is started inside a prepared network namespace (see
   * src/network/): the sandbox then shares it instead of unsharing a new one
   * with only loopback. The host-side firewall and the namespace's addresses
   * stay out of the sandbox's reach: it has no CAP_NET_ADMIN.
   */
  joinNetns?: boolean;
}

/**
 * The sandbox's root is root inside, but without the capabilities that reach
 * past the namespaces (sys_admin, sys_module, sys_ptrace, net_admin, …): the
 * same default set a container engine grants.
 */
const keptCapabilities = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_RAW",
  "CAP_SYS_CHROOT",
  "CAP_MKNOD",
  "CAP_AUDIT_WRITE",
  "CAP_SETFCAP",
];

/**
 * Split in two: `visible` stays on bwrap's command line (which every process
 * in the sandbox can read as PID 1's /proc/1/cmdline), `hidden` goes through
 * `--args FD` so host paths (data dir, bundle location) don't leak inside.
 * The visible part names the sandbox (its hostname), which is how leftover
 * processes are found after a crash.
 */
export interface BwrapCommand {
  visible: string[];
  hidden: string[];
  command: string[];
}

export function bwrapArgs(options: BwrapOptions): BwrapCommand {
  return { visible: ["--hostname", options.hostname], hidden: hiddenArgs(options), command: [options.nodePath, sandboxPaths.envdBundle] };
}

/** --unshare-all without the network namespace. */
const unshareAllButNet = ["--unshare-user-try", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"];

function hiddenArgs(options: BwrapOptions): string[] {
  return [
    ...(options.joinNetns ? unshareAllButNet : ["--unshare-all"]),
    "--new-session",
    "--bind",
    options.rootfs,
    "/",
    "--ro-bind",
    "/usr",
    "/usr",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/dev/shm",
    "--bind",
    options.runDir,
    sandboxPaths.runDir,
    "--ro-bind",
    options.envdBundle,
    sandboxPaths.envdBundle,
    // envd's PTY helper ships beside its bundle; without it PTYs are refused, the rest works.
    "--ro-bind-try",
    join(dirname(options.envdBundle), "wrenn-pty"),
    join(dirname(sandboxPaths.envdBundle), "wrenn-pty"),
    "--chdir",
    "/root",
    "--clearenv",
    "--setenv",
    "PATH",
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "--setenv",
    "HOME",
    "/root",
    "--setenv",
    "LANG",
    "C.UTF-8",
    "--setenv",
    "WRENN_ENVD_LISTEN",
    `unix:${sandboxPaths.envdSocket}`,
    "--cap-drop",
    "ALL",
    ...keptCapabilities.flatMap((cap) => ["--cap-add", cap]),
  ];
}
