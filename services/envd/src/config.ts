import { userInfo } from "node:os";
import { z } from "@wrenn/shared";

const bool = (fallback: "true" | "false") =>
  z
    .enum(["true", "false", "1", "0"])
    .default(fallback)
    .transform((v) => v === "true" || v === "1");

export const envdConfigSchema = z.object({
  /** "host:port" or "unix:/path". */
  WRENN_ENVD_LISTEN: z.string().min(1).default("0.0.0.0:49983"),
  /** Defaults to the account envd runs as. */
  WRENN_ENVD_DEFAULT_USER: z.string().min(1).optional(),
  WRENN_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** A PTY process with no client attached for this long is hung up. */
  WRENN_ENVD_PTY_IDLE_MS: z.coerce.number().int().positive().default(120_000),
  /** Output kept per process for clients that (re)attach with Connect. */
  WRENN_ENVD_REPLAY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** Keepalive on every stream after this long without events. */
  WRENN_ENVD_KEEPALIVE_MS: z.coerce.number().int().positive().default(15_000),
  /** Path of the wrenn-pty helper; default: beside the bundle. */
  WRENN_ENVD_PTY_HELPER: z.string().min(1).optional(),
  /**
   * Path of the wrenn-clock helper, started at boot and used to correct the
   * clock after a restore. Only the guest image sets it; without it the clock
   * is set with `date`.
   */
  WRENN_ENVD_CLOCK_HELPER: z.string().min(1).optional(),
  /** Rewritten with a fresh id at every Init, so processes in the sandbox learn they may have been cloned. */
  WRENN_ENVD_CLONE_FILE: z.string().min(1).default("/run/wrenn/clone-generation"),
  /**
   * Over TCP, refuse connections whose peer address is one of this machine's
   * own (loopback or an interface address): in a VM only the host, on the far
   * side of the sandbox's channel, may call envd.
   */
  WRENN_ENVD_REFUSE_LOCAL_PEERS: bool("true"),
  /** How often /proc/net/tcp{,6} are read. */
  WRENN_ENVD_PORT_SCAN_MS: z.coerce.number().int().positive().default(1_000),
  /** Forward loopback-only ports to the external addresses. */
  WRENN_ENVD_FORWARD_PORTS: bool("true"),
  /** Comma-separated addresses to forward on; default: every non-loopback interface address. */
  WRENN_ENVD_FORWARD_ADDRESSES: z.string().optional(),
});

export type EnvdConfig = z.infer<typeof envdConfigSchema>;

export function defaultUserOf(config: EnvdConfig): string {
  return config.WRENN_ENVD_DEFAULT_USER ?? userInfo().username;
}
