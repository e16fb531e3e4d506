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
  stop(): Promise<void>;
}

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
  });
  const log = createWriteStream(options.logFile, { flags: "a" });
  child.stdout!.pipe(log, { end: false });
  const addresses = new Map<string, string>();
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    lines.on("line", (line) => {
      log.write(`${line}\n`);
      const entry = parseJson(line);
      if (entry) options.onLog?.(entry);
      if (entry?.msg === "listening" && typeof entry.listener === "string" && typeof entry.address === "string") {
        addresses.set(entry.listener, entry.address);
        if (options.listeners.every((name) => addresses.has(name))) resolve();
      }
    });
    void exited.then((code) =>
      reject(new Error(`${options.name} exited with ${code} before listening; see ${options.logFile}`)),
    );
  });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${options.name} did not listen within ${timeoutMs} ms; see ${options.logFile}`)), timeoutMs);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  } finally {
    clearTimeout(timer);
  }

  return {
    name: options.name,
    child,
    addresses,
    logFile: options.logFile,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(killer);
      log.end();
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
