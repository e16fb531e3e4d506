import { randomBytes } from "node:crypto";
import { errors } from "@wrenn/shared";
import { createFailure } from "./create-failure.js";
import { envdHandshake } from "./envd-handshake.js";
import { readCheckpointRecord } from "./sandbox-checkpoint.js";
import type { SandboxContext } from "./sandbox-context.js";
import type { Entry } from "./sandbox-entry.js";
import type { CreateSandboxInput, SandboxInfo } from "./sandbox-info.js";
import { defaultStartTimeoutSeconds, maxStartTimeoutSeconds, validateSandboxId, validateTtl } from "./sandbox-validation.js";

/**
 * Creates a sandbox: the runtime boots it, then the envd handshake gives it
 * its identity, all within the start timeout. The entry exists (unlisted)
 * from the start so a sandbox that dies while starting aborts its create;
 * any failure destroys what was booted.
 */
export async function createSandbox(ctx: SandboxContext, input: CreateSandboxInput, signal: AbortSignal): Promise<SandboxInfo> {
  const { runtime, logger, entries } = ctx;
  const { sandboxId } = input;
  validateSandboxId(sandboxId);
  // From a checkpoint: its record names the template its disk is backed by (and the token its envd still holds).
  const checkpoint = input.fromCheckpoint !== undefined ? await readCheckpointRecord(input.fromCheckpoint) : undefined;
  const templateId = checkpoint?.templateId ?? input.templateId;
  if (!runtime.hasTemplate(templateId)) throw errors.notFound(`template "${templateId}" not found`);
  const timeoutSeconds = input.startTimeoutSeconds || defaultStartTimeoutSeconds;
  if (timeoutSeconds > maxStartTimeoutSeconds) {
    throw errors.invalidArgument(`start_timeout_seconds must be at most ${maxStartTimeoutSeconds}`);
  }
  validateTtl(input.timeoutSeconds ?? 0);
  if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already exists`);

  return ctx.lock.run(sandboxId, async () => {
    if (entries.has(sandboxId)) throw errors.alreadyExists(`sandbox ${sandboxId} already exists`);
    const starting = new AbortController();
    const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
    const bootSignal = AbortSignal.any([signal, timeout, starting.signal]);
    const entry: Entry = {
      info: { sandboxId, templateId, startedAt: new Date(), state: "running", onExpiry: input.onExpiry ?? "kill", resources: { vcpus: 0, memoryMiB: 0, diskMiB: 0 } },
      envs: input.envs,
      egress: input.egress,
      token: randomBytes(24).toString("base64url"),
      // The agent's own sandboxes live as long as their owner says, never by the callers' default TTL.
      ttlSeconds: input.timeoutSeconds || (input.internal ? 0 : ctx.options.defaultTtlSeconds),
      internal: input.internal === true ? true : undefined,
      starting,
      creating: true,
    };
    entries.set(sandboxId, entry);
    let booted = false;
    try {
      const handle = await runtime.create({ sandboxId, templateId, hostname: sandboxId, egress: input.egress, fromCheckpoint: input.fromCheckpoint }, bootSignal);
      booted = true;
      // A base-size template exists only now (made by this create): read its record after it.
      const template = runtime.templateInfo().find((t) => t.id === templateId);
      const defaults = template?.defaults ?? { envs: {} };
      entry.envs = { ...defaults.envs, ...input.envs };
      entry.user = defaults.user;
      entry.workdir = defaults.workdir;
      const presentToken = checkpoint ? checkpoint.envdToken : template?.envdToken;
      const afterRestore = checkpoint ? true : (template?.quiesced ?? false);
      await envdHandshake(entry, handle.envdTarget, { presentToken, afterRestore, signal: AbortSignal.any([signal, starting.signal]), healthSignal: bootSignal }, logger);
      entry.info.startedAt = handle.startedAt;
      entry.info.resources = handle.resources;
      entry.ports = handle.ports;
      entry.starting = undefined;
      ctx.armTtl(entry);
      await ctx.save(entry);
      entry.creating = false;
      logger.info({ sandboxId, templateId, internal: entry.internal, fromCheckpoint: input.fromCheckpoint !== undefined }, "sandbox created");
      return { ...entry.info };
    } catch (err) {
      ctx.forget(sandboxId);
      if (booted) await runtime.destroy(sandboxId).catch((e) => logger.error({ err: e, sandboxId }, "destroy after failed create failed"));
      throw createFailure(err, { signal, timeout, starting: starting.signal, timeoutSeconds, sandboxId, logger });
    }
  });
}
