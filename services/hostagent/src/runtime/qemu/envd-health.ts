import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";

/** grpc.health.v1 SERVING */
const serving = 1;

/**
 * Waits until envd at `target` answers its gRPC health check. Used to decide
 * when a cold-booted template is ready to be snapshotted; sandboxes restored
 * from it are checked by the sandbox layer.
 */
export async function waitEnvdHealthy(target: string, options: { timeoutMs: number; signal?: AbortSignal; alive?: () => boolean }): Promise<number> {
  const started = performance.now();
  const channel = createChannel(target, undefined, {
    "grpc.initial_reconnect_backoff_ms": 50,
    "grpc.max_reconnect_backoff_ms": 250,
  });
  const health = createClient(HealthDefinition, channel);
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      options.signal?.throwIfAborted();
      if (options.alive && !options.alive()) throw new Error("the VM exited before envd became healthy");
      try {
        const attempt = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(1000)]) : AbortSignal.timeout(1000);
        const reply = await health.check({ service: "" }, { signal: attempt });
        if ((reply.status as number) === serving) return performance.now() - started;
      } catch (err) {
        lastError = err;
      }
      await sleep(25);
    }
    throw new Error(`envd at ${target} not healthy within ${options.timeoutMs} ms: ${String(lastError)}`);
  } finally {
    channel.close();
  }
}
