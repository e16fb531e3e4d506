import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, z } from "@wrenn/shared";
import { parseSize } from "./image/size.js";
import { parseHostToken } from "@wrenn/shared/pki/index";

/**
 * Every setting of the host agent, from the environment, validated at start
 * (loadConfig throws one error naming every bad variable).
 *
 * WRENN_RUNTIME=auto (the default) picks qemu when qemu-system-x86_64 is
 * installed and a guest image was built into the images dir (`npm run image`
 * with the same WRENN_DATA_DIR, or an earlier start with WRENN_RUNTIME=qemu),
 * else namespace, and logs which and why. WRENN_RUNTIME=qemu builds the image
 * on first start (minutes, progress in the log) and is an error if QEMU
 * cannot run. auto never starts a multi-minute build by surprise.
 */
export type RuntimeChoice = "auto" | "qemu" | "namespace";

export interface HostAgentConfig {
  /** Register with the controlplane using a one-time token, when no credentials are stored yet. */
  registration?: { controlplaneUrl: string; token: string };
  /** WRENN_CONTROLPLANE_URL even without a token (a registered agent's restart). */
  controlplaneUrl?: string;
  /** Where the controlplane dials the gRPC port; unset: the bound address, a wildcard host as 127.0.0.1. */
  advertiseAddress?: string;
  /** The same for the port tunnel. */
  portProxyAdvertiseAddress?: string;
  /** "host:port" (port 0 picks one) or "unix:/path". */
  listen: string;
  /**
   * The port tunnel (proxy/): "host:port" of a plain HTTP/1.1 listener taking
   * CONNECT sb-…:<port>, advertised in GetHostInfo. Like the gRPC port it has
   * no authentication of its own: bind it where only the controlplane reaches.
   */
  portProxyListen: string;
  dataDir: string;
  /** Guest images (QEMU); default DATA_DIR/images. Images are cached by a hash of their inputs. */
  imagesDir: string;
  envdBundle: string;
  /** Node binary inside the sandbox; must live under /usr, which sandboxes see read-only. */
  nodePath: string;
  hostId?: string;
  logLevel: string;
  /** Default DATA_DIR/logs/hostagent.log; "" turns the file off. */
  logFile: string;
  runtime: RuntimeChoice;
  /**
   * "netns": each sandbox in its own network namespace with a veth to the
   * host, NAT and per-sandbox egress rules (nftables; needs root).
   * "isolated": no outside network at all (namespace runtime: loopback only;
   * QEMU: user networking that reaches only envd). "auto": netns when root
   * and `nft` are there.
   */
  sandboxNetwork: "auto" | "netns" | "isolated";
  /** Addresses for sandbox veths, one /30 each. Agents sharing a machine need pools of their own. */
  networkPool: string;
  /** Names of namespaces, veths and the nftables table; agents sharing a machine need prefixes of their own. */
  networkPrefix: string;
  /** Per-sandbox bandwidth cap in Mbit/s each way; 0 = none. */
  sandboxRateMbit: number;
  /** "auto" detects (KVM only where it really works), else forced. */
  qemuAccel: "auto" | "kvm" | "tcg";
  /** Sandbox size: QEMU base template (fixed by its snapshot); namespace runtime CPU quota and memory limit. */
  vcpus: number;
  memoryMiB: number;
  /** Root disk size of the guest image (QEMU). */
  rootfsSizeBytes: number;
  /** Default TTL of sandboxes that ask for none; 0 = none. */
  defaultTtlSeconds: number;
  reaperIntervalMs: number;
  /**
   * What SIGTERM/SIGINT does to sandboxes: "keep" leaves them running (and
   * paused ones on disk) for the next start to re-adopt; "destroy" removes
   * them (test stacks with throwaway data dirs).
   */
  sandboxesOnStop: "keep" | "destroy";
  /** Per-sandbox cgroup v1 limits (namespace runtime); 0 turns a limit off. Memory defaults to memoryMiB. */
  sandboxMemoryBytes: number;
  sandboxPidsMax: number;
}

const isRoot = process.getuid?.() === 0;

/** The envd bundle the repo builds (`npm run build -w @wrenn/envd`), found relative to this file. */
const repoEnvdBundle = fileURLToPath(new URL("../../envd/dist/envd.mjs", import.meta.url));

const size = (name: string) =>
  z.string().transform((value, ctx) => {
    try {
      return parseSize(value, name);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  });



const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be "host:port"');

const schema = z.object({
  WRENN_HOSTAGENT_LISTEN: z.string().min(1).default("127.0.0.1:50052"),
  WRENN_PORT_PROXY_LISTEN: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be "host:port"')
    .default("127.0.0.1:50053"),
  WRENN_DATA_DIR: z.string().min(1).default(isRoot ? "/var/lib/wrenn" : join(homedir(), ".wrenn")),
  WRENN_IMAGES_DIR: z.string().min(1).optional(),
  WRENN_ENVD_BUNDLE: z.string().min(1).default(repoEnvdBundle),
  WRENN_NODE_PATH: z.string().startsWith("/usr/").default("/usr/bin/node"),
  WRENN_HOST_ID: z
    .string()
    .regex(/^host-[A-Za-z0-9-]{1,60}$/, 'must look like "host-…"')
    .optional(),
  WRENN_RUNTIME: z.enum(["auto", "qemu", "namespace"]).default("auto"),
  WRENN_SANDBOX_NETWORK: z.enum(["auto", "netns", "isolated"]).default("auto"),
  WRENN_NETWORK_POOL: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be an IPv4 CIDR like 10.240.0.0/16").default("10.240.0.0/16"),
  WRENN_NETWORK_PREFIX: z.string().regex(/^[a-z][a-z0-9]{0,5}$/, "must be 1–6 lowercase letters or digits").default("wrenn"),
  WRENN_SANDBOX_RATE_MBIT: z.coerce.number().int().min(0).max(100_000).default(200),
  WRENN_QEMU_ACCEL: z.enum(["auto", "kvm", "tcg"]).default("auto"),
  WRENN_DEFAULT_VCPUS: z.coerce.number().int().min(1).max(64).default(2),
  WRENN_DEFAULT_MEMORY_MB: z.coerce.number().int().min(128).max(256 * 1024).default(1024),
  WRENN_DEFAULT_ROOTFS_SIZE: size("WRENN_DEFAULT_ROOTFS_SIZE").default(2 * 1024 ** 3),
  WRENN_SANDBOX_TTL_SECONDS: z.coerce.number().int().min(0).max(30 * 24 * 3600).default(0),
  WRENN_REAPER_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  WRENN_SANDBOXES_ON_STOP: z.enum(["keep", "destroy"]).default("keep"),
  // Unset: the namespace runtime's memory limit is WRENN_DEFAULT_MEMORY_MB, like a VM's RAM.
  WRENN_SANDBOX_MEMORY_MB: z.coerce.number().int().min(0).optional(),
  WRENN_SANDBOX_PIDS_MAX: z.coerce.number().int().min(0).default(4096),
  WRENN_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  WRENN_LOG_FILE: z.string().optional(),
  /** The controlplane's gRPC "host:port", for registering with a token (once; the credentials are kept). */
  WRENN_CONTROLPLANE_URL: z.preprocess((v) => (v === "" ? undefined : v), hostPort.optional()),
  /** A one-time "wrh_…" token from AdminService.CreateHostToken; never logged. */
  // The message never echoes the value.
  WRENN_REGISTRATION_TOKEN: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.string().refine((v) => parseHostToken(v) !== undefined, 'is not a registration token ("wrh_<secret>_<CA pin>", from AdminService.CreateHostToken)').optional(),
  ),
  /** Where the controlplane dials this agent; unset: the bound address, a wildcard host as 127.0.0.1. */
  WRENN_ADVERTISE_ADDRESS: z.preprocess((v) => (v === "" ? undefined : v), hostPort.optional()),
  /** Where the controlplane reaches the port tunnel; unset: the same rule. */
  WRENN_PORT_PROXY_ADVERTISE_ADDRESS: z.preprocess((v) => (v === "" ? undefined : v), hostPort.optional()),
}).superRefine((value, ctx) => {
  // A token alone has nowhere to go. The URL alone is fine for an agent that
  // registered before (its credentials are stored); without them the start
  // refuses it (credentials/host-tls.ts), since only the data dir knows.
  if (value.WRENN_REGISTRATION_TOKEN && !value.WRENN_CONTROLPLANE_URL) {
    ctx.addIssue({ code: "custom", path: ["WRENN_REGISTRATION_TOKEN"], message: "WRENN_REGISTRATION_TOKEN needs WRENN_CONTROLPLANE_URL, the controlplane to register with" });
  }
});

export function loadHostAgentConfig(env: NodeJS.ProcessEnv = process.env): HostAgentConfig {
  const parsed = loadConfig(schema, env);
  return {
    listen: parsed.WRENN_HOSTAGENT_LISTEN,
    portProxyListen: parsed.WRENN_PORT_PROXY_LISTEN,
    dataDir: parsed.WRENN_DATA_DIR,
    imagesDir: parsed.WRENN_IMAGES_DIR ?? join(parsed.WRENN_DATA_DIR, "images"),
    envdBundle: parsed.WRENN_ENVD_BUNDLE,
    nodePath: parsed.WRENN_NODE_PATH,
    hostId: parsed.WRENN_HOST_ID,
    logLevel: parsed.WRENN_LOG_LEVEL,
    logFile: parsed.WRENN_LOG_FILE ?? join(parsed.WRENN_DATA_DIR, "logs", "hostagent.log"),
    runtime: parsed.WRENN_RUNTIME,
    sandboxNetwork: parsed.WRENN_SANDBOX_NETWORK,
    networkPool: parsed.WRENN_NETWORK_POOL,
    networkPrefix: parsed.WRENN_NETWORK_PREFIX,
    sandboxRateMbit: parsed.WRENN_SANDBOX_RATE_MBIT,
    qemuAccel: parsed.WRENN_QEMU_ACCEL,
    vcpus: parsed.WRENN_DEFAULT_VCPUS,
    memoryMiB: parsed.WRENN_DEFAULT_MEMORY_MB,
    rootfsSizeBytes: parsed.WRENN_DEFAULT_ROOTFS_SIZE,
    defaultTtlSeconds: parsed.WRENN_SANDBOX_TTL_SECONDS,
    reaperIntervalMs: parsed.WRENN_REAPER_INTERVAL_MS,
    sandboxesOnStop: parsed.WRENN_SANDBOXES_ON_STOP,
    sandboxMemoryBytes: (parsed.WRENN_SANDBOX_MEMORY_MB ?? parsed.WRENN_DEFAULT_MEMORY_MB) * 1024 * 1024,
    sandboxPidsMax: parsed.WRENN_SANDBOX_PIDS_MAX,
    registration: parsed.WRENN_REGISTRATION_TOKEN
      ? { controlplaneUrl: parsed.WRENN_CONTROLPLANE_URL!, token: parsed.WRENN_REGISTRATION_TOKEN }
      : undefined,
    controlplaneUrl: parsed.WRENN_CONTROLPLANE_URL,
    advertiseAddress: parsed.WRENN_ADVERTISE_ADDRESS,
    portProxyAdvertiseAddress: parsed.WRENN_PORT_PROXY_ADVERTISE_ADDRESS,
  };
}

/** qemu-system-x86_64 on PATH (runtime "auto" needs it). */
export function qemuInstalled(): boolean {
  return (process.env.PATH ?? "/usr/bin").split(":").some((dir) => existsSync(join(dir, "qemu-system-x86_64")));
}
