import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadConfig, z } from "@wrenn/shared";

/** "127.0.0.1:8080" → { host, port }; IPv6 hosts are written "[::1]:8080". */
export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new Error(`expected host:port, got "${value}"`);
  }
  return { host: match[1] ?? match[2], port };
}

const toListenAddress = (value: string, ctx: z.RefinementCtx) => {
  try {
    return parseListenAddress(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
};

const listenSchema = (fallback: string) => z.string().default(fallback).transform(toListenAddress);

const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);

export const controlPlaneEnvSchema = z.object({
  WRENN_GRPC_LISTEN: listenSchema("127.0.0.1:50051"),
  WRENN_HTTP_LISTEN: listenSchema("127.0.0.1:8080"),
  /** A second listener serving the same as the HTTP one over TLS (HTTP/1.1); on when set, with the certificate and key files. */
  WRENN_HTTPS_LISTEN: z.preprocess(emptyAsUndefined, z.string().transform(toListenAddress).optional()),
  /** PEM certificate chain for WRENN_HTTPS_LISTEN: a wildcard `*.<proxy domain>` name covers the port proxy's and the E2B face's hosts. */
  WRENN_TLS_CERT_FILE: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** PEM private key of that certificate. */
  WRENN_TLS_KEY_FILE: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /**
   * The host agents to schedule on over plaintext: "host:port", or several
   * joined with "," (each heartbeated; sandboxes placed among them). "none":
   * only hosts that registered with a token (mutual TLS).
   */
  WRENN_HOSTAGENT_URL: z
    .string()
    .min(1)
    .refine((value) => value.split(",").some((part) => part.trim() !== ""), "must name at least one host agent")
    .default("127.0.0.1:50052"),
  /**
   * 32 bytes (64 hex digits) that encrypt the host CA's private key in the
   * database. Every controlplane copy needs the same one. Unset: the key is
   * stored unencrypted (a warning says so).
   */
  WRENN_SECRETS_KEY: z.preprocess(emptyAsUndefined, z.string().regex(/^[0-9a-fA-F]{64}$/, "64 hex digits (32 bytes)").optional()),
  /** How long a registered host's certificate is valid; it is renewed over the channel when a third is left. */
  WRENN_HOST_CERTIFICATE_DAYS: z.coerce.number().int().min(1).max(397).default(30),
  DATABASE_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  REDIS_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  WRENN_DATA_DIR: z.string().min(1).default(join(tmpdir(), "wrenn-controlplane")),
  WRENN_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Redis stream for lifecycle outcomes; tests give each run its own. */
  WRENN_EVENTS_STREAM: z.string().min(1).default("wrenn:sandbox-events"),
  /** How often every host's sandboxes are compared with the database. */
  WRENN_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** How often each host is asked for its info and capacity (GetHostInfo); a host that stops answering is unreachable from the next one. */
  WRENN_HOST_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /**
   * How long the lease on a singleton job (reconciler rounds, purges) lives
   * unrenewed: after a copy is killed, another takes its jobs within this
   * plus a third of it.
   */
  WRENN_SINGLETON_LEASE_MS: z.coerce.number().int().min(300).max(600_000).default(15_000),
  /** A sandbox stuck in starting/pausing/resuming/stopping this long is settled from what its host has. */
  WRENN_RECONCILE_STUCK_AFTER_MS: z.coerce.number().int().min(1_000).default(10 * 60_000),
  /** How long a stopped sandbox stays readable (Get, List) before it is NOT_FOUND and purged. */
  WRENN_STOPPED_RETENTION_SECONDS: z.coerce.number().int().min(0).max(365 * 24 * 3600).default(3600),
  /** Where the first start writes the bootstrap admin's API key (mode 0600; the password goes beside it in admin-password). Unset: <data dir>/api-key. */
  WRENN_BOOTSTRAP_KEY_FILE: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** The bootstrap admin's email. */
  WRENN_ADMIN_EMAIL: z.string().email().default("admin@wrenn.local"),
  /** CreateSandbox calls per minute per API key (per user for sessions), shared by every copy through Redis. */
  WRENN_CREATE_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** The port proxy's host form is `{port}-{sandbox}.{domain}`; `*.localhost` resolves to loopback without DNS. */
  WRENN_PROXY_DOMAIN: z
    .string()
    .regex(/^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "a lower-case DNS name such as sandboxes.example.com")
    .default("localhost"),
  /** "on": the controlplane builds the platform templates it ships from recipes (e2b-base) when missing and a QEMU host is online. */
  WRENN_PLATFORM_TEMPLATE_BUILDS: z.enum(["on", "off"]).default("on"),
  /** How long the HTTP server lets in-flight requests and streams finish at shutdown before cutting them. */
  WRENN_HTTP_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(10 * 60_000).default(10_000),
  /** The origin browsers reach the HTTP gateway at ("https://wrenn.example.com"); login redirect URLs are built from it. */
  WRENN_PUBLIC_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  /** Generic OpenID Connect login, on when issuer, client id and secret are set. */
  WRENN_OIDC_ISSUER: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  WRENN_OIDC_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().optional()),
  WRENN_OIDC_CLIENT_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
  WRENN_OIDC_REDIRECT_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  WRENN_OIDC_SCOPES: z.string().min(1).default("openid email profile"),
  /** GitHub-style OAuth 2 login, on when client id and secret are set; the URLs default to github.com's. */
  WRENN_GITHUB_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().optional()),
  WRENN_GITHUB_CLIENT_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
  WRENN_GITHUB_REDIRECT_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  WRENN_GITHUB_AUTHORIZE_URL: z.string().url().default("https://github.com/login/oauth/authorize"),
  WRENN_GITHUB_TOKEN_URL: z.string().url().default("https://github.com/login/oauth/access_token"),
  WRENN_GITHUB_API_URL: z.string().url().default("https://api.github.com"),
});

export interface ControlPlaneConfig {
  grpcListen: ListenAddress;
  /** Absent: no HTTP gateway is started. */
  httpListen?: ListenAddress;
  /** Absent: no TLS listener. Serves what httpListen serves (needs httpListen). */
  httpsListen?: TlsListenConfig;
  /** Comma-separated plaintext host agents; "none" for registered hosts only. */
  hostAgentUrl: string;
  /** Encrypts the host CA's key at rest; absent: stored unencrypted. */
  secretsKey?: Buffer;
  /** Unset: 30. */
  hostCertificateDays?: number;
  /** Absent: an embedded PGlite database under dataDir. */
  databaseUrl?: string;
  /** Absent: the in-process event bus (one controlplane only). */
  redisUrl?: string;
  dataDir: string;
  logLevel: string;
  eventsStream: string;
  /** Unset: 30 s. */
  reconcileIntervalMs?: number;
  /** Unset: 10 min. */
  reconcileStuckAfterMs?: number;
  /** Unset: 15 s. */
  hostHeartbeatMs?: number;
  /** How long a singleton job's lease lives unrenewed. Unset: 15 s. */
  singletonLeaseMs?: number;
  /** Unset: 1 hour. */
  stoppedRetentionSeconds?: number;
  /** Unset: <dataDir>/api-key. */
  bootstrapKeyFile?: string;
  /** Unset: admin@wrenn.local. */
  adminEmail?: string;
  /** CreateSandbox calls per minute per API key (per user for sessions); unset: 60. */
  createRatePerMinute?: number;
  /** Host form of the port proxy: `{port}-{sandbox}.{proxyDomain}`; unset: "localhost". */
  proxyDomain?: string;
  /** Unset: 10 s. */
  httpShutdownGraceMs?: number;
  /** Build the recipe-made platform templates (e2b-base) when missing; unset: true. */
  platformTemplateBuilds?: boolean;
  /** The origin browsers reach the HTTP gateway at; unset: each login request's own origin (Host). */
  publicUrl?: string;
  /** Absent: no OIDC login. */
  oidc?: OidcLoginConfig;
  /** Absent: no GitHub login. */
  github?: GithubLoginConfig;
}

/** A TLS listener: where, and the PEM files it presents (read once, at start). */
export interface TlsListenConfig {
  address: ListenAddress;
  certFile: string;
  keyFile: string;
}

/** Generic OpenID Connect: the provider is found by issuer discovery; the id_token is checked (nonce, signature). */
export interface OidcLoginConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Unset: <public URL>/auth/oidc/oidc/callback. */
  redirectUrl?: string;
  /** Space-separated; must include "openid". */
  scopes: string;
}

/** GitHub-style OAuth 2 (GitHub, GitHub Enterprise): no id_token; the user comes from <apiUrl>/user and /user/emails. */
export interface GithubLoginConfig {
  clientId: string;
  clientSecret: string;
  /** Unset: <public URL>/auth/oidc/github/callback. */
  redirectUrl?: string;
  authorizeUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

export function loadControlPlaneConfig(env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  const parsed = loadConfig(controlPlaneEnvSchema, env);
  return {
    grpcListen: parsed.WRENN_GRPC_LISTEN,
    httpListen: parsed.WRENN_HTTP_LISTEN,
    httpsListen: tlsListen(parsed.WRENN_HTTPS_LISTEN, parsed.WRENN_TLS_CERT_FILE, parsed.WRENN_TLS_KEY_FILE),
    hostAgentUrl: parsed.WRENN_HOSTAGENT_URL,
    secretsKey: parsed.WRENN_SECRETS_KEY ? Buffer.from(parsed.WRENN_SECRETS_KEY, "hex") : undefined,
    hostCertificateDays: parsed.WRENN_HOST_CERTIFICATE_DAYS,
    databaseUrl: parsed.DATABASE_URL,
    redisUrl: parsed.REDIS_URL,
    dataDir: parsed.WRENN_DATA_DIR,
    logLevel: parsed.WRENN_LOG_LEVEL,
    eventsStream: parsed.WRENN_EVENTS_STREAM,
    reconcileIntervalMs: parsed.WRENN_RECONCILE_INTERVAL_MS,
    reconcileStuckAfterMs: parsed.WRENN_RECONCILE_STUCK_AFTER_MS,
    singletonLeaseMs: parsed.WRENN_SINGLETON_LEASE_MS,
    hostHeartbeatMs: parsed.WRENN_HOST_HEARTBEAT_MS,
    stoppedRetentionSeconds: parsed.WRENN_STOPPED_RETENTION_SECONDS,
    bootstrapKeyFile: parsed.WRENN_BOOTSTRAP_KEY_FILE,
    adminEmail: parsed.WRENN_ADMIN_EMAIL,
    createRatePerMinute: parsed.WRENN_CREATE_RATE_PER_MINUTE,
    publicUrl: parsed.WRENN_PUBLIC_URL,
    proxyDomain: parsed.WRENN_PROXY_DOMAIN,
    httpShutdownGraceMs: parsed.WRENN_HTTP_SHUTDOWN_GRACE_MS,
    platformTemplateBuilds: parsed.WRENN_PLATFORM_TEMPLATE_BUILDS === "on",
    oidc: allOrNone("WRENN_OIDC", [parsed.WRENN_OIDC_ISSUER, parsed.WRENN_OIDC_CLIENT_ID, parsed.WRENN_OIDC_CLIENT_SECRET])
      ? {
          issuer: parsed.WRENN_OIDC_ISSUER!,
          clientId: parsed.WRENN_OIDC_CLIENT_ID!,
          clientSecret: parsed.WRENN_OIDC_CLIENT_SECRET!,
          redirectUrl: parsed.WRENN_OIDC_REDIRECT_URL,
          scopes: parsed.WRENN_OIDC_SCOPES,
        }
      : undefined,
    github: allOrNone("WRENN_GITHUB", [parsed.WRENN_GITHUB_CLIENT_ID, parsed.WRENN_GITHUB_CLIENT_SECRET])
      ? {
          clientId: parsed.WRENN_GITHUB_CLIENT_ID!,
          clientSecret: parsed.WRENN_GITHUB_CLIENT_SECRET!,
          redirectUrl: parsed.WRENN_GITHUB_REDIRECT_URL,
          authorizeUrl: parsed.WRENN_GITHUB_AUTHORIZE_URL,
          tokenUrl: parsed.WRENN_GITHUB_TOKEN_URL,
          apiUrl: parsed.WRENN_GITHUB_API_URL,
        }
      : undefined,
  };
}

/** The TLS listener is on when its address is set; then both files are required (a certificate alone is a mistake too). */
function tlsListen(address: ListenAddress | undefined, certFile: string | undefined, keyFile: string | undefined): TlsListenConfig | undefined {
  if (!address) {
    if (certFile || keyFile) throw new Error("WRENN_TLS_CERT_FILE and WRENN_TLS_KEY_FILE need WRENN_HTTPS_LISTEN");
    return undefined;
  }
  if (!certFile || !keyFile) throw new Error("WRENN_HTTPS_LISTEN needs WRENN_TLS_CERT_FILE and WRENN_TLS_KEY_FILE");
  return { address, certFile, keyFile };
}

/** A login provider is on when all of its required settings are set; some but not all is a mistake, said at start. */
function allOrNone(prefix: string, values: (string | undefined)[]): boolean {
  const set = values.filter((value) => value !== undefined).length;
  if (set !== 0 && set !== values.length) throw new Error(`${prefix}_*: set the client id, the client secret (and the issuer, for OIDC) together, or none`);
  return set === values.length;
}
