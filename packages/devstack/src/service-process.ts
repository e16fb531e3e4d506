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
  logFile: string;
  /** Settles when the process has exited, however it ended. */
  exited: Promise<ServiceExit>;
  /** The last lines it wrote (stdout and stderr), oldest first: what to show when it dies. */
  lastLines(): string[];
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
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
  /** Entry file relative to the repo root, run with tsx. */
  entry: string;
  env: Record<string, string | undefined>;
  logFile: string;
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
 * "listening" line for every listener, so tests can use port 0.
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, WRENN_LOG_LEVEL: process.env.WRENN_LOG_LEVEL ?? "info" };
  for (const [key, value] of Object.entries(options.env)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(process.execPath, ["--import", "tsx", options.entry], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.ownProcessGroup ?? false,
  });
  const log = createWriteStream(options.logFile, { flags: "a" });
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > keptLines) recent.shift();
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    log.write(`${line}\n`);
    remember(line);
  });
  const addresses = new Map<string, string>();
  const exited = new Promise<ServiceExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // The log file is closed once the process is gone and its pipes are drained.
  child.once("close", () => log.end());

  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    lines.on("line", (line) => {
      log.write(`${line}\n`);
      remember(line);
      const entry = parseJson(line);
      if (entry) options.onLog?.(entry);
      if (entry?.msg === "listening" && typeof entry.listener === "string" && typeof entry.address === "string") {
        addresses.set(entry.listener, entry.address);
        if (options.listeners.every((name) => addresses.has(name))) resolve();
      }
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`${options.name} exited with ${signal ?? code} before listening; see ${options.logFile}`)),
    );
  });
  const abort = () => child.kill("SIGTERM");
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  void exited.then(() => options.signal?.removeEventListener("abort", abort));
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${options.name} did not listen within ${timeoutMs} ms; see ${options.logFile}`)), timeoutMs);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    throw err;
  } finally {
    clearTimeout(timer);
  }

  return {
    name: options.name,
    child,
    addresses,
    logFile: options.logFile,
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
