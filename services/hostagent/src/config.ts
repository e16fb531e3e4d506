import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, z } from "@wrenn/shared";

export interface HostAgentConfig {
  /** "host:port" (port 0 picks one) or "unix:/path". */
  listen: string;
  dataDir: string;
  envdBundle: string;
  /** Node binary inside the sandbox; must live under /usr, which sandboxes see read-only. */
  nodePath: string;
  hostId?: string;
  logLevel: string;
  /** Per-sandbox cgroup v1 limits; 0 turns a limit off. */
  sandboxMemoryBytes: number;
  sandboxPidsMax: number;
}

const isRoot = process.getuid?.() === 0;

/** The envd bundle the repo builds (`npm run build -w @wrenn/envd`), found relative to this file. */
const repoEnvdBundle = fileURLToPath(new URL("../../envd/dist/envd.mjs", import.meta.url));

const schema = z.object({
  WRENN_HOSTAGENT_LISTEN: z.string().min(1).default("127.0.0.1:50052"),
  WRENN_DATA_DIR: z.string().min(1).default(isRoot ? "/var/lib/wrenn" : join(homedir(), ".wrenn")),
  WRENN_ENVD_BUNDLE: z.string().min(1).default(repoEnvdBundle),
  WRENN_NODE_PATH: z.string().startsWith("/usr/").default("/usr/bin/node"),
  WRENN_HOST_ID: z
    .string()
    .regex(/^host-[A-Za-z0-9-]{1,60}$/, 'must look like "host-…"')
    .optional(),
  WRENN_SANDBOX_MEMORY_MB: z.coerce.number().int().min(0).default(2048),
  WRENN_SANDBOX_PIDS_MAX: z.coerce.number().int().min(0).default(4096),
  WRENN_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
});

export function loadHostAgentConfig(env: NodeJS.ProcessEnv = process.env): HostAgentConfig {
  const parsed = loadConfig(schema, env);
  return {
    listen: parsed.WRENN_HOSTAGENT_LISTEN,
    dataDir: parsed.WRENN_DATA_DIR,
    envdBundle: parsed.WRENN_ENVD_BUNDLE,
    nodePath: parsed.WRENN_NODE_PATH,
    hostId: parsed.WRENN_HOST_ID,
    logLevel: parsed.WRENN_LOG_LEVEL,
    sandboxMemoryBytes: parsed.WRENN_SANDBOX_MEMORY_MB * 1024 * 1024,
    sandboxPidsMax: parsed.WRENN_SANDBOX_PIDS_MAX,
  };
}
