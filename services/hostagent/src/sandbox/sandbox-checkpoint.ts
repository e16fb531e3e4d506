import { rm } from "node:fs/promises";
import { join } from "node:path";
import { errors } from "@wrenn/shared";
import { readJson, writeJsonAtomic } from "../host/state-file.js";
import type { CheckpointInfo } from "../runtime/runtime.js";
import { stepTimeoutMs } from "./envd-handshake.js";
import type { SandboxContext } from "./sandbox-context.js";
import type { Entry } from "./sandbox-entry.js";

/** checkpoint.json, the sandbox layer's part of a checkpoint: what a restore from it must present and map. */
export interface CheckpointRecord {
  /** envd's token when the checkpoint was taken (a restore presents it to its first Init). 0600: a secret. */
  envdToken: string;
  /** The template the checkpoint's disk is backed by. */
  templateId: string;
  diskMiB: number;
  createdAt: string;
}

const recordFile = "checkpoint.json";

export async function readCheckpointRecord(dir: string): Promise<CheckpointRecord> {
  const record = await readJson<CheckpointRecord>(join(dir, recordFile));
  if (!record || typeof record.envdToken !== "string" || typeof record.templateId !== "string") throw errors.notFound(`no checkpoint in ${dir}`);
  return record;
}

/**
 * Under the sandbox's lock: envd quiesces (so the saved state holds no live
 * connection), the runtime saves the running sandbox into `dir`, and envd
 * runs on (AfterRestore) whether or not the checkpoint succeeded.
 */
export async function checkpointLocked(ctx: SandboxContext, entry: Entry, dir: string, signal: AbortSignal): Promise<CheckpointInfo> {
  const { sandboxId } = entry.info;
  if (!ctx.runtime.capabilities.templates) throw errors.failedPrecondition(ctx.runtime.capabilities.templatesUnavailableReason ?? "this runtime cannot checkpoint sandboxes");
  if (entry.info.state !== "running" || !entry.connection) throw errors.failedPrecondition(`sandbox ${sandboxId} is paused; resume it first`);
  const connection = entry.connection;
  await connection.prepareSnapshot(AbortSignal.any([signal, AbortSignal.timeout(stepTimeoutMs.prepare)]));
  let info: CheckpointInfo;
  try {
    info = await ctx.runtime.checkpoint(sandboxId, dir, signal);
  } finally {
    // The guest ran on (or never stopped): its envd takes up its pollers again.
    await connection.afterRestore(AbortSignal.timeout(stepTimeoutMs.afterRestore)).catch((err: unknown) => ctx.logger.warn({ err, sandboxId }, "envd did not resume after a checkpoint"));
  }
  const record: CheckpointRecord = { envdToken: entry.token, templateId: info.templateId, diskMiB: info.diskMiB, createdAt: new Date().toISOString() };
  try {
    await writeJsonAtomic(join(dir, recordFile), record, 0o600);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return info;
}
