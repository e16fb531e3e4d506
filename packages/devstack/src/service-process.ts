import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** listener name ("grpc", "http") → bound address, from the "listening" log lines. */
  addresses: Map<string, string>;
  logFile: string | undefined;
  /** Every line it wrote (stdout and stderr) as written, oldest first; empty with `keepLogs: false`. */
  lines: string[];
  /** Every structured (JSON) log line it wrote, parsed; empty with `keepLogs: false`. */
  logs: Record<string, unknown>[];
  /** Settles when the process has exited, however it ended. */
  exited: Promise<ServiceExit>;
  /** The last lines it wrote (stdout and stderr), oldest first: what to show when it dies. */
  lastLines(): string[];
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited and its last output is read. */
  stop(): Promise<void>;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How many of a service's recent log lines are kept for a death report. */
const keptLines = 30;
/** Time a service gets to stop on SIGTERM (a host agent destroying its sandboxes) before SIGKILL. */
const stopGraceMs = 30_000;

export interface SpawnServiceOptions {
  name: string;
  /** Entry file, relative to `cwd`: TypeScript source run with tsx, or a built bundle with `bundled`. */
  entry: string;
  /** The entry is a built JavaScript bundle, run by plain node (envd runs so in a guest). */
  bundled?: boolean;
  /** Working directory; the repo root by default. */
  cwd?: string;
  /**
   * Settings on top of the caller's environment (undefined removes one), or
   * on top of PATH alone with `inheritEnv: false`.
   */
  env: Record<string, string | undefined>;
  /** Off: the service sees PATH and `env` only, not the test runner's environment. */
  inheritEnv?: boolean;
  /** Flags for node itself, before the entry (V8 heap settings, which cannot change once it runs). */
  nodeFlags?: string[];
  /** A command node runs under, e.g. ["ip", "netns", "exec", "ns1"] (it must exec node, keeping the pid). */
  prefix?: string[];
  /** Appends every line it writes here. */
  logFile?: string;
  /**
   * Keep every line in `lines` and `logs` (on by default, for tests). A
   * long-running service turns it off: only the last lines are kept.
   */
  keepLogs?: boolean;
  /** Listener names to wait for before the service counts as started. */
  listeners: string[];
  startTimeoutMs?: number;
  /** Sees every structured log line (e.g. to show image build progress). */
  onLog?: (entry: Record<string, unknown>) => void;
  /** Aborting stops a start in progress (the process gets SIGTERM; the start fails). */
  signal?: AbortSignal;
  /**
   * A process group of its own, so Ctrl-C in the terminal reaches only the
   * caller (a supervisor that stops services in order, and must not take
   * their SIGINT deaths for crashes). Off by default: a test run's Ctrl-C
   * then reaches its services too, and nothing outlives it.
   */
  ownProcessGroup?: boolean;
}

/**
 * Starts one Wrenn service as a real process and waits until it has logged a
 * "listening" line for every listener, so tests can use port 0. A service
 * that exits or stays silent past the timeout fails the start with its last
 * log lines in the error.
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceProcess> {
  const env: NodeJS.ProcessEnv =
    options.inheritEnv === false ? { PATH: process.env.PATH ?? "" } : { ...process.env, WRENN_LOG_LEVEL: process.env.WRENN_LOG_LEVEL ?? "info" };
  for (const [key, value] of Object.entries(options.env)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const node = [process.execPath, ...(options.nodeFlags ?? []), ...(options.bundled ? [] : ["--import", "tsx"]), options.entry];
  const [file, ...args] = [...(options.prefix ?? []), ...node];
  const child = spawn(file!, args, {
    cwd: options.cwd ?? repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.ownProcessGroup ?? false,
  });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  const keepLogs = options.keepLogs ?? true;
  const lines: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const recent: string[] = [];
  const addresses = new Map<string, string>();
  let listened: () => void = () => {};
  const allListening = new Promise<void>((resolve) => (listened = resolve));
  const onLine = (line: string) => {
    log?.write(`${line}\n`);
    recent.push(line);
    if (recent.length > keptLines) recent.shift();
    if (keepLogs) lines.push(line);
    const entry = parseJson(line);
    if (!entry) return;
    if (keepLogs) logs.push(entry);
    options.onLog?.(entry);
    if (entry.msg === "listening" && typeof entry.listener === "string" && typeof entry.address === "string") {
      addresses.set(entry.listener, entry.address);
      if (options.listeners.every((name) => addresses.has(name))) listened();
    }
  };
  createInterface({ input: child.stdout! }).on("line", onLine);
  createInterface({ input: child.stderr! }).on("line", onLine);
  const exited = new Promise<ServiceExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // The log file is closed once the process is gone and its pipes are drained.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  void closed.then(() => log?.end());
  // A spawn failure (no such prefix command) ends in "close" without an "exit".
  const spawnFailed = new Promise<Error>((resolve) => child.once("error", resolve));

  const failure = (why: string) => {
    const where = options.logFile ? ` (all of it in ${options.logFile})` : "";
    return new Error(`${options.name} ${why}; its last log lines${where}:\n${recent.map((l) => `  | ${l}`).join("\n")}`);
  };
  const abort = () => child.kill("SIGTERM");
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  void exited.then(() => options.signal?.removeEventListener("abort", abort));
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  try {
    const outcome = await Promise.race([allListening.then(() => "listening" as const), exited, timeout, spawnFailed]);
    if (outcome instanceof Error) throw new Error(`${options.name} could not be started: ${outcome.message}`);
    if (outcome === "timeout") throw failure(`did not log "listening" for ${options.listeners.join(", ")} within ${timeoutMs} ms`);
    if (outcome !== "listening") {
      // Let the pipes drain, so the error shows what it said before dying (a
      // child it left behind may hold them open: then wait no longer).
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      throw failure(`exited with ${outcome.signal ?? outcome.code} before listening`);
    }
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill("SIGKILL");
      await exited;
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }

  return {
    name: options.name,
    child,
    addresses,
    logFile: options.logFile,
    lines,
    logs,
    exited,
    lastLines: () => [...recent],
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
        await exited;
        clearTimeout(killer);
      }
      await exited;
      // Its last lines ("stopping") may still be in the pipes when it exits: read them too (bounded, as above).
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    },
  };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
