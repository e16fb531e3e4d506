import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ensureLocalTls } from "./local-ca.js";
import { startSupervisedService, type ServiceEvent, type SupervisedService } from "./supervised-service.js";

/** The first host agent is "hostagent"; with `hostAgents` > 1 the others are "hostagent-2", "hostagent-3", … */
export type ServiceName = "hostagent" | "controlplane" | `hostagent-${number}`;

/** One host agent of a stack. */
export interface StackHostAgent {
  /** Its service name: "hostagent", "hostagent-2", … */
  name: string;
  /** gRPC, host:port. */
  address: string;
  /** Its port tunnel, host:port. */
  portProxyAddress: string;
  dataDir: string;
}

/** How many host agents a stack may run: their network pools are eighths of the stack's. */
export const maxHostAgents = 8;

/**
 * The host agent's setting for what its stop does to running sandboxes
 * (services/hostagent/README.md): "keep" leaves them running for the next
 * start to re-adopt, "destroy" removes them.
 */
export const sandboxesOnStopSetting = "WRENN_SANDBOXES_ON_STOP";

export interface Stack {
  /** Controlplane public gRPC, host:port. */
  grpcAddress: string;
  /** Controlplane HTTP/JSON gateway, e.g. http://127.0.0.1:1234. */
  httpUrl: string;
  /** The gateway's TLS listener (StackOptions.tls), e.g. https://127.0.0.1:1235; the same routes as httpUrl. */
  httpsUrl?: string;
  /** With `tls`: the local CA's certificate (PEM) a client must trust, and the domain its wildcard certificate covers. */
  tls?: { caFile: string; domain: string };
  /** The first host agent's gRPC address. */
  hostagentAddress: string;
  /** Every host agent (StackOptions.hostAgents), the first one first. */
  readonly hostAgents: StackHostAgent[];
  /** The first host agent's port tunnel (CONNECT sb-…:<port>), host:port; kept across restarts like the other addresses. */
  portProxyAddress: string;
  /** The per-stack database (real mode only). */
  databaseUrl?: string;
  dataDir: string;
  logDir: string;
  /**
   * Where the controlplane wrote the bootstrap admin's first API key
   * (`<dataDir>/api-key`, 0600): on an empty database only, so a stack
   * restarted on the same data dir and database keeps its key.
   */
  apiKeyFile: string;
  /** That key (every API call but Signup needs one): empty only when `apiKeyRequired: false` and none was written. */
  apiKey: string;
  /** The running service processes (each replaced when it restarts). */
  services: Record<ServiceName, SupervisedService>;
  /**
   * Restarts one service on the same addresses and data dir: SIGTERM (a clean
   * stop) by default, or e.g. SIGKILL. Without a name, a clean restart of the
   * whole platform: controlplane and host agents stopped, then started again
   * in order, same database included.
   */
  restart(service?: ServiceName, options?: { signal?: NodeJS.Signals }): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Embedded PGlite and in-process events instead of the real servers. */
  embedded?: boolean;
  /** Data directory to use and keep; by default a temporary one, removed on close. */
  dataDir?: string;
  /** Listen addresses; by default loopback with ports chosen by the kernel. */
  listen?: { grpc?: string; http?: string; hostagent?: string; portProxy?: string };
  /** Database URL used as is (no per-stack database); by default one is created from DATABASE_URL. */
  databaseUrl?: string;
  /** Where service logs go; by default files in the data directory. */
  logDir?: string;
  /** Sandbox runtime; by default WRENN_RUNTIME from the environment, else "namespace" (fast, no image needed). */
  runtime?: "namespace" | "qemu" | "auto";
  /**
   * Let the controlplane build the platform's recipe-made templates
   * (e2b-base) when missing, as a deployment does; by default off in test
   * stacks, so no build nobody asked for shares their cores.
   */
  platformTemplateBuilds?: boolean;
  /** Sandbox networking; by default "isolated" (no outside network, no host firewall changes). */
  sandboxNetwork?: "isolated" | "netns" | "auto";
  /** How long the host agent may take to start (a first QEMU start builds the guest image). */
  hostagentStartTimeoutMs?: number;
  /** Sees the first host agent's structured log lines. */
  onHostagentLog?: (entry: Record<string, unknown>) => void;
  /**
   * Extra host agent settings (e.g. a network prefix and pool of its own),
   * for every agent. With several agents the prefix and pool (given here or
   * the agent's defaults) are the stack's, shared out: agent i gets the
   * prefix with i appended (its first 5 letters for a 6-letter one; the first
   * agent keeps it as is) and the i-th eighth of the pool.
   */
  hostagentEnv?: Record<string, string>;
  /**
   * Host agents to run (default 1, at most 8), each with a data dir, ports,
   * network prefix and pool of its own; the controlplane gets all of them
   * in WRENN_HOSTAGENT_URL, comma-separated, the first one first.
   */
  hostAgents?: number;
  /** Restart a service that dies on its own, with backoff (`./wrenn up`). */
  supervise?: boolean;
  /** Deaths and restarts of services (reported whether or not supervised). */
  onServiceEvent?: (event: ServiceEvent) => void;
  /**
   * What stopping the host agent does to its running sandboxes. By default
   * "destroy" with a temporary data dir (a test leaves no sandbox behind),
   * else "keep" (the next start re-adopts them).
   */
  sandboxesOnStop?: "keep" | "destroy";
  /**
   * Fail the start when the controlplane wrote no API key (default). `./wrenn
   * up` on a database of its own that already had users gets none.
   */
  apiKeyRequired?: boolean;
  /**
   * A TLS listener beside the HTTP one, with a certificate for `*.<domain>`
   * and `<domain>` from a local CA made in the data dir (kept there across
   * restarts). The domain becomes the port proxy's (WRENN_PROXY_DOMAIN);
   * by default "wrenn.localhost", whose names resolve to loopback where
   * libnss-myhostname is on (scripts/bootstrap.sh).
   */
  tls?: boolean | { domain?: string; listen?: string };
  /** Aborting stops a start in progress (started services are stopped, startStack rejects). */
  signal?: AbortSignal;
}

/**
 * The whole platform as real processes: a host agent (or several,
 * `hostAgents`) with the namespace runtime and a controlplane on fresh
 * ports, against a fresh database on the real PostgreSQL (DATABASE_URL) and
 * the real Redis (REDIS_URL), or in embedded mode.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const agentCount = options.hostAgents ?? 1;
  if (!Number.isInteger(agentCount) || agentCount < 1 || agentCount > maxHostAgents) {
    throw new Error(`hostAgents must be a whole number from 1 to ${maxHostAgents}, not ${agentCount}`);
  }
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "wrenn-stack-")));
  await mkdir(dataDir, { recursive: true });
  const logDir = options.logDir ?? dataDir;
  const sandboxesOnStop = options.sandboxesOnStop ?? (ownsDataDir ? "destroy" : "keep");
  const started: SupervisedService[] = [];
  let database: TestDatabase | undefined;
  const common = { supervise: options.supervise ?? false, onEvent: options.onServiceEvent, signal: options.signal };
  try {
    if (options.databaseUrl) {
      database = { url: options.databaseUrl, drop: async () => {} };
    } else if (!options.embedded) {
      database = await createTestDatabase(requireEnv("DATABASE_URL"));
    }
    const agentSpecs = hostAgentSpecs(agentCount, dataDir, options.hostagentEnv ?? {});
    const startAgent = async (spec: HostAgentSpec, first: boolean): Promise<SupervisedService> => {
      const agent = await startSupervisedService({
        ...common,
        name: spec.name,
        entry: "services/hostagent/src/main.ts",
        env: {
          WRENN_HOSTAGENT_LISTEN: (first ? options.listen?.hostagent : undefined) ?? "127.0.0.1:0",
          WRENN_PORT_PROXY_LISTEN: (first ? options.listen?.portProxy : undefined) ?? "127.0.0.1:0",
          WRENN_DATA_DIR: spec.dataDir,
          WRENN_RUNTIME: options.runtime ?? process.env.WRENN_RUNTIME ?? "namespace",
          WRENN_SANDBOX_NETWORK: options.sandboxNetwork ?? process.env.WRENN_SANDBOX_NETWORK ?? "isolated",
          // One guest image cache per machine: building it takes minutes.
          WRENN_IMAGES_DIR: process.env.WRENN_IMAGES_DIR ?? sharedImagesDir(),
          [sandboxesOnStopSetting]: sandboxesOnStop,
          ...options.hostagentEnv,
          ...spec.env,
        },
        startTimeoutMs: options.hostagentStartTimeoutMs,
        onLog: first ? options.onHostagentLog : undefined,
        logFile: join(logDir, `${spec.name}.log`),
        listeners: ["grpc", "port-proxy"],
        // A restarted agent listens where the controlplane already dials it.
        pinned: (addresses) => ({ WRENN_HOSTAGENT_LISTEN: addresses.get("grpc")!, WRENN_PORT_PROXY_LISTEN: addresses.get("port-proxy")! }),
      });
      started.push(agent);
      return agent;
    };
    // The first agent alone first: a first QEMU start builds the shared guest
    // image, which the others then find ready instead of building it too.
    const hostagent = await startAgent(agentSpecs[0]!, true);
    // Settled, not Promise.all: a failed start must not leave the others'
    // still starting, to finish unstopped after the cleanup below ran.
    const others = await Promise.allSettled(agentSpecs.slice(1).map((spec) => startAgent(spec, false)));
    const failed = others.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    const agents = [hostagent, ...others.map((result) => (result as PromiseFulfilledResult<SupervisedService>).value)];
    const hostagentAddress = hostagent.current.addresses.get("grpc")!;

    const apiKeyFile = join(dataDir, "api-key");
    const tlsDomain = options.tls ? ((typeof options.tls === "object" && options.tls.domain) || defaultTlsDomain) : undefined;
    const tlsFiles = tlsDomain ? await ensureLocalTls(join(dataDir, "tls"), tlsDomain) : undefined;
    const tlsEnv: Record<string, string> = tlsFiles
      ? {
          WRENN_HTTPS_LISTEN: (typeof options.tls === "object" && options.tls.listen) || "127.0.0.1:0",
          WRENN_TLS_CERT_FILE: tlsFiles.certFile,
          WRENN_TLS_KEY_FILE: tlsFiles.keyFile,
          WRENN_PROXY_DOMAIN: tlsDomain!,
        }
      : {};
    const controlplane = await startSupervisedService({
      ...common,
      name: "controlplane",
      entry: "services/controlplane/src/main.ts",
      nodeFlags: controlPlaneNodeFlags,
      env: {
        WRENN_GRPC_LISTEN: options.listen?.grpc ?? "127.0.0.1:0",
        WRENN_HTTP_LISTEN: options.listen?.http ?? "127.0.0.1:0",
        WRENN_HOSTAGENT_URL: agents.map((agent) => agent.current.addresses.get("grpc")!).join(","),
        WRENN_DATA_DIR: join(dataDir, "controlplane"),
        DATABASE_URL: database?.url,
        REDIS_URL: options.embedded ? undefined : requireEnv("REDIS_URL"),
        // The first start on an empty database creates an admin and its first key, written here.
        WRENN_BOOTSTRAP_KEY_FILE: apiKeyFile,
        WRENN_PLATFORM_TEMPLATE_BUILDS: options.platformTemplateBuilds ? "on" : "off",
        // A copy killed in a test hands its singleton jobs (reconciler rounds, purges) on within seconds.
        WRENN_SINGLETON_LEASE_MS: process.env.WRENN_SINGLETON_LEASE_MS ?? "3000",
        ...tlsEnv,
      },
      logFile: join(logDir, "controlplane.log"),
      listeners: tlsFiles ? ["grpc", "http", "https"] : ["grpc", "http"],
      pinned: (addresses) => ({
        WRENN_GRPC_LISTEN: addresses.get("grpc")!,
        WRENN_HTTP_LISTEN: addresses.get("http")!,
        ...(tlsFiles ? { WRENN_HTTPS_LISTEN: addresses.get("https")! } : {}),
      }),
    });
    started.push(controlplane);
    const services = { controlplane, ...Object.fromEntries(agents.map((agent) => [agent.name, agent])) } as Record<ServiceName, SupervisedService>;
    const apiKey = await readApiKey(apiKeyFile, options.apiKeyRequired ?? true);

    return {
      grpcAddress: controlplane.current.addresses.get("grpc")!,
      httpUrl: `http://${controlplane.current.addresses.get("http")!}`,
      httpsUrl: tlsFiles ? `https://${controlplane.current.addresses.get("https")!}` : undefined,
      tls: tlsFiles && tlsDomain ? { caFile: tlsFiles.caFile, domain: tlsDomain } : undefined,
      hostagentAddress,
      portProxyAddress: hostagent.current.addresses.get("port-proxy")!,
      get hostAgents() {
        return agents.map((agent, i) => ({
          name: agent.name,
          address: agent.current.addresses.get("grpc")!,
          portProxyAddress: agent.current.addresses.get("port-proxy")!,
          dataDir: agentSpecs[i]!.dataDir,
        }));
      },
      databaseUrl: database?.url,
      dataDir,
      logDir,
      apiKeyFile,
      apiKey,
      services,
      async restart(name, restartOptions) {
        if (name) {
          const service = services[name] as SupervisedService | undefined;
          if (!service) throw new Error(`no service ${name} in this stack`);
          return service.restart(restartOptions);
        }
        // Stopped in the order close() uses, started in the order startStack does.
        await controlplane.halt();
        await Promise.all(agents.map((agent) => agent.halt()));
        await hostagent.start();
        await Promise.all(agents.slice(1).map((agent) => agent.start()));
        await controlplane.start();
      },
      async close() {
        await controlplane.stop();
        await Promise.all(
          agents.map(async (agent) => {
            const child = agent.current.child;
            const agentDead = child.exitCode !== null || child.signalCode !== null;
            if (ownsDataDir && (sandboxesOnStop === "keep" || agentDead)) {
              // A temporary stack leaves nothing behind, even when a test killed
              // an agent: a last agent start re-adopts what lives and destroys it on stop.
              await agent.start({ [sandboxesOnStopSetting]: "destroy" }).catch(() => {});
            }
            await agent.stop();
          }),
        );
        await database?.drop();
        if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const service of started.reverse()) await service.stop().catch(() => {});
    await database?.drop().catch(() => {});
    throw err;
  }
}

const defaultTlsDomain = "wrenn.localhost";

interface HostAgentSpec {
  name: ServiceName;
  dataDir: string;
  /** Its own settings, on top of StackOptions.hostagentEnv. */
  env: Record<string, string>;
}

// The host agent's own defaults (services/hostagent/src/config.ts), shared out when the caller gives none.
const agentDefaultPrefix = "wrenn";
const agentDefaultPool = "10.240.0.0/16";

/**
 * Names, data dirs and network settings of a stack's agents. The first one
 * is the single agent of old: "hostagent" in `<dataDir>/host`, and with one
 * agent its settings untouched. With more, each gets a prefix and an eighth
 * of the pool of its own (always the same eighth, whatever the count), so
 * their namespaces, veths, nftables tables and addresses stay apart from each
 * other and from every other stack's.
 */
export function hostAgentSpecs(count: number, dataDir: string, baseEnv: Record<string, string>): HostAgentSpec[] {
  if (count === 1) return [{ name: "hostagent", dataDir: join(dataDir, "host"), env: {} }];
  const prefix = baseEnv.WRENN_NETWORK_PREFIX ?? agentDefaultPrefix;
  const pools = eighths(baseEnv.WRENN_NETWORK_POOL ?? agentDefaultPool);
  const specs = Array.from({ length: count }, (_, i): HostAgentSpec => {
    const n = i + 1;
    const env: Record<string, string> = {
      // The agent matches its networks by `<prefix>-<8 hex>` and its table by
      // name, so "wrenn" and "wrenn2" never take each other's for stale.
      WRENN_NETWORK_PREFIX: n === 1 ? prefix : `${prefix.slice(0, 5)}${n}`,
      WRENN_NETWORK_POOL: pools[i]!,
    };
    // A host id given for the stack would otherwise be every agent's.
    if (baseEnv.WRENN_HOST_ID && n > 1) env.WRENN_HOST_ID = `${baseEnv.WRENN_HOST_ID}-${n}`;
    return n === 1 ? { name: "hostagent", dataDir: join(dataDir, "host"), env } : { name: `hostagent-${n}`, dataDir: join(dataDir, `host-${n}`), env };
  });
  // A 6-letter prefix ending in a digit (say "wrenn2") can be its own derivation.
  const prefixes = new Set(specs.map((spec) => spec.env.WRENN_NETWORK_PREFIX));
  if (prefixes.size < count) throw new Error(`WRENN_NETWORK_PREFIX ${prefix} cannot be shared out among ${count} host agents: use a shorter one`);
  return specs;
}

/** An IPv4 CIDR cut into 8 equal CIDRs, in address order. */
function eighths(cidr: string): string[] {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const length = Number(match?.[5]);
  // Each eighth must still hold at least one sandbox's /30.
  if (!match || octets.some((o) => o > 255) || length > 27) {
    throw new Error(`WRENN_NETWORK_POOL ${cidr} cannot be shared out among host agents: it must be an IPv4 CIDR of /27 or larger`);
  }
  const base = octets.reduce((address, octet) => address * 256 + octet, 0);
  const size = 2 ** (32 - length);
  const network = base - (base % size);
  const part = size / 8;
  return Array.from({ length: 8 }, (_, i) => {
    const start = network + i * part;
    const text = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join(".");
    return `${text}/${length + 3}`;
  });
}

/** Where guest images are cached across stacks: the host agent's own default as root, else per user. */
export function sharedImagesDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/wrenn/images" : join(homedir(), ".wrenn", "images");
}

/** The bootstrap key, written by the controlplane before it listens (kept from an earlier start on the same data dir). */
async function readApiKey(file: string, required: boolean): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" || required) {
      throw new Error(`no API key in ${file}: the controlplane writes one on its first start on an empty database (${(err as Error).message})`);
    }
    return "";
  }
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (scripts/test.sh starts a local server and sets it)`);
  return value;
}

interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A database of its own per stack, so tests never see each other's rows. */
async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `wrenn_it_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * The controlplane streams file transfers, proxy traffic and process output
 * through itself, allocating a little for every message. V8's young
 * generation grows to 32 MiB under such a rate and stays there, which is
 * most of what a long transfer added to the process (a 2 GiB upload: about
 * 70 MiB at its peak, 42 MiB with this). Scavenges of a 2 MiB semi-space are
 * cheap, and what lives longer moves on to the old generation anyway.
 */
const controlPlaneNodeFlags = ["--max-semi-space-size=2"];
