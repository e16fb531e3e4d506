import { userInfo } from "node:os";
import { z } from "@wrenn/shared";

export const envdConfigSchema = z.object({
  /** "host:port" or "unix:/path". */
  WRENN_ENVD_LISTEN: z.string().min(1).default("0.0.0.0:49983"),
  /** Defaults to the account envd runs as. */
  WRENN_ENVD_DEFAULT_USER: z.string().min(1).optional(),
  WRENN_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type EnvdConfig = z.infer<typeof envdConfigSchema>;

export function defaultUserOf(config: EnvdConfig): string {
  return config.WRENN_ENVD_DEFAULT_USER ?? userInfo().username;
}
