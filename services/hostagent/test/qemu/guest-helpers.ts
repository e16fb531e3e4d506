import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient, Metadata, type Channel } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { EnvdServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { ProcessServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { createLogger, accessTokenMetadataKey } from "@wrenn/shared";

export const logger = createLogger("qemu-test", { level: process.env.WRENN_LOG_LEVEL ?? "warn" });

/** A free loopback port for a hostfwd (tests run few VMs, so the bind-then-release race is unlikely). */
export { freeLoopbackPort as freePort } from "../../src/runtime/qemu/network.js";

/** Short paths: the QMP unix socket lives in the VM dir and socket paths are limited to 108 bytes. */
export function vmDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `wrenn-${prefix}-`));
}

export interface GuestClient {
  channel: Channel;
  /** Polls grpc.health.v1 until SERVING; returns ms waited. */
  waitHealthy(timeoutMs: number): Promise<number>;
  /** Runs a command through envd's ProcessService and collects its output. */
  run(cmd: string, args: string[], options?: { user?: string; timeoutMs?: number }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  close(): void;
}

/** The access token these tests give envd (and present to envds initialised by an earlier client). */
export const testEnvdToken = "wrenn-test-envd-token-0123456789";

/**
 * envd answers nothing but Init until Init set a token, so the first `run`
 * initialises it: presenting `currentToken` (what envd holds now: a
 * template's recorded token, or this module's from an earlier client; none
 * for a fresh boot) and setting testEnvdToken.
 */
export function guestClient(portOrTarget: number | string, currentToken: string = testEnvdToken): GuestClient {
  const target = typeof portOrTarget === "number" ? `127.0.0.1:${portOrTarget}` : portOrTarget;
  const channel = createChannel(target, undefined, {
    "grpc.initial_reconnect_backoff_ms": 50,
    "grpc.max_reconnect_backoff_ms": 200,
  });
  const health = createClient(HealthDefinition, channel);
  const processes = createClient(ProcessServiceDefinition, channel);
  const envd = createClient(EnvdServiceDefinition, channel);
  let initialised: Promise<unknown> | undefined;
  const auth = () => ({ metadata: Metadata({ [accessTokenMetadataKey]: testEnvdToken }) });
  return {
    channel,
    async waitHealthy(timeoutMs) {
      const started = performance.now();
      const deadline = Date.now() + timeoutMs;
      let lastError: unknown;
      while (Date.now() < deadline) {
        try {
          const reply = await health.check({ service: "" }, { signal: AbortSignal.timeout(1000) });
          if ((reply.status as number) === 1) return performance.now() - started;
        } catch (err) {
          lastError = err;
        }
        await sleep(25);
      }
      throw new Error(`envd not healthy within ${timeoutMs} ms: ${String(lastError)}`);
    },
    async run(cmd, args, options = {}) {
      let stdout = "";
      let stderr = "";
      let exitCode = -1;
      initialised ??= envd
        .init({ accessToken: testEnvdToken, nowUnixMs: Date.now() }, { metadata: Metadata({ [accessTokenMetadataKey]: currentToken }), signal: AbortSignal.timeout(30_000) })
        .catch((err: unknown) => {
          initialised = undefined;
          throw err;
        });
      await initialised;
      const stream = processes.start(
        { process: { cmd, args, envs: {}, user: options.user ?? "root" }, timeoutMs: 0 },
        { signal: AbortSignal.timeout(options.timeoutMs ?? 30_000), ...auth() },
      );
      for await (const response of stream) {
        const event = response.event;
        if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
        if (event?.data?.stderr) stderr += Buffer.from(event.data.stderr).toString();
        if (event?.end) exitCode = event.end.exitCode;
      }
      return { stdout, stderr, exitCode };
    },
    close() {
      channel.close();
    },
  };
}

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
