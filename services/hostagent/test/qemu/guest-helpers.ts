import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { createLogger } from "@wrenn/shared";
import { createEnvdConnection } from "../../src/envd/envd-connection.js";

export const logger = createLogger("qemu-test", { level: process.env.WRENN_LOG_LEVEL ?? "warn" });

/** A free loopback port for a hostfwd (tests run few VMs, so the bind-then-release race is unlikely). */
export { freeLoopbackPort as freePort } from "../../src/runtime/qemu/network.js";

/** Short paths: the QMP unix socket lives in the VM dir and socket paths are limited to 108 bytes. */
export function vmDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `wrenn-${prefix}-`));
}

export interface GuestClient {
  /** Waits until envd answers its health check; returns ms waited. */
  waitHealthy(timeoutMs: number): Promise<number>;
  /** Runs a command through envd's ProcessService and collects its output. */
  run(cmd: string, args: string[], options?: { user?: string; timeoutMs?: number }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  close(): void;
}

/** The access token these tests give envd (and present to envds initialised by an earlier client). */
export const testEnvdToken = "wrenn-test-envd-token-0123456789";

/**
 * The agent's own envd connection, as a test drives it. envd answers nothing
 * but Init until Init set a token, so the first `run` initialises it:
 * presenting `currentToken` (what envd holds now: a template's recorded
 * token, or this module's from an earlier client; none for a fresh boot) and
 * setting testEnvdToken.
 */
export function guestClient(portOrTarget: number | string, currentToken: string = testEnvdToken): GuestClient {
  const target = typeof portOrTarget === "number" ? `127.0.0.1:${portOrTarget}` : portOrTarget;
  const envd = createEnvdConnection(target, currentToken);
  const processes = envd.client(ProcessServiceDefinition);
  let initialised: Promise<unknown> | undefined;
  return {
    async waitHealthy(timeoutMs) {
      const started = performance.now();
      await envd.waitUntilServing(AbortSignal.timeout(timeoutMs));
      return performance.now() - started;
    },
    async run(cmd, args, options = {}) {
      let stdout = "";
      let stderr = "";
      let exitCode = -1;
      initialised ??= envd
        .init(
          { sandboxId: "", templateId: "", hostname: "", defaultUser: "", defaultWorkdir: "", envs: {}, accessToken: testEnvdToken, nowUnixMs: Date.now(), entropy: Buffer.alloc(0) },
          AbortSignal.timeout(30_000),
        )
        .catch((err: unknown) => {
          initialised = undefined;
          throw err;
        });
      await initialised;
      const stream = processes.start({ process: { cmd, args, envs: {}, user: options.user ?? "root" }, timeoutMs: 0 }, { signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
      for await (const response of stream) {
        const event = response.event;
        if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
        if (event?.data?.stderr) stderr += Buffer.from(event.data.stderr).toString();
        if (event?.end) exitCode = event.end.exitCode;
      }
      return { stdout, stderr, exitCode };
    },
    close() {
      envd.close();
    },
  };
}

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
