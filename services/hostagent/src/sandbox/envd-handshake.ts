import { randomBytes } from "node:crypto";
import type { Logger } from "@wrenn/shared";
import { createEnvdConnection } from "../envd/envd-connection.js";
import type { Entry } from "./sandbox-entry.js";

/** Each envd step has its own deadline so a slow one cannot starve the next (see notes/lessons.md). */
export const stepTimeoutMs = { health: 30_000, afterRestore: 10_000, init: 10_000, prepare: 10_000, adoptHealth: 15_000 };

export interface HandshakeOptions {
  /** envd's token now: the template's recorded one after a create, the sandbox's own after a resume. */
  presentToken: string | undefined;
  /** Restored from a snapshot of a quiesced envd: AfterRestore before Init. */
  afterRestore: boolean;
  signal: AbortSignal;
  /** Bounds the health wait (default `signal`): a create also stops waiting when its sandbox dies or times out. */
  healthSignal?: AbortSignal;
}

/**
 * After a boot or a restore from a snapshot (create, resume): envd answers,
 * drops what predates the snapshot, then takes its fresh identity (sandbox
 * id, hostname, env, host entropy and clock, and the entry's access token,
 * which the entry's new connection presents from then on).
 */
export async function envdHandshake(entry: Entry, target: string, options: HandshakeOptions, logger: Logger): Promise<void> {
  const { signal } = options;
  entry.connection?.close();
  const connection = createEnvdConnection(target, options.presentToken);
  entry.connection = connection;
  entry.envdTarget = target;
  const t0 = performance.now();
  await connection.waitUntilServing(AbortSignal.any([options.healthSignal ?? signal, AbortSignal.timeout(stepTimeoutMs.health)]));
  const t1 = performance.now();
  if (options.afterRestore) await connection.afterRestore(AbortSignal.any([signal, AbortSignal.timeout(stepTimeoutMs.afterRestore)]));
  const t2 = performance.now();
  const { sandboxId, templateId } = entry.info;
  await connection.init(
    { sandboxId, templateId, hostname: sandboxId, defaultUser: entry.user ?? "root", defaultWorkdir: entry.workdir ?? "", envs: entry.envs, nowUnixMs: Date.now(), accessToken: entry.token, entropy: randomBytes(64) },
    AbortSignal.any([signal, AbortSignal.timeout(stepTimeoutMs.init)]),
  );
  const ms = (a: number, b: number) => Math.round(b - a);
  logger.debug({ sandboxId, healthMs: ms(t0, t1), afterRestoreMs: ms(t1, t2), initMs: ms(t2, performance.now()) }, "envd handshake");
}
