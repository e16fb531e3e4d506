import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isWireId, type Logger } from "@wrenn/shared";
import type { SandboxManager } from "../sandbox/sandbox-manager.js";
import { BuildRecord } from "./build-record.js";

const markerFile = "build.json";
export const interruptedMessage = "interrupted: the host agent restarted";

/** Written when a build is accepted: what the next start needs to clean up after it. */
export async function writeBuildMarker(workDir: string, buildId: string, templateId: string): Promise<void> {
  await writeFile(join(workDir, markerFile), JSON.stringify({ buildId, templateId }));
}

/**
 * At start: every `<builds>/<id>/` left is a build the agent died (or was
 * stopped) under. Its directory goes, so does a template it may have made
 * without reporting success, and it is remembered as FAILED "interrupted"
 * for the controlplane's follower to learn. (Its sandbox, being internal,
 * was destroyed by the manager instead of adopted.)
 */
export async function recoverInterruptedBuilds(buildsDir: string, manager: SandboxManager, logger: Logger): Promise<BuildRecord[]> {
  const records: BuildRecord[] = [];
  for (const name of await readdir(buildsDir).catch(() => [] as string[])) {
    const dir = join(buildsDir, name);
    const marker = await readFile(join(dir, markerFile), "utf8")
      .then((text) => JSON.parse(text) as { templateId?: string })
      .catch(() => ({}) as { templateId?: string });
    if (marker.templateId !== undefined && manager.templates().some((t) => t.id === marker.templateId)) {
      await manager.deleteTemplate(marker.templateId).catch((err: unknown) => logger.warn({ err, templateId: marker.templateId }, "could not remove an interrupted build's template"));
    }
    await rm(dir, { recursive: true, force: true });
    if (!isWireId("bld", name)) continue;
    const record = new BuildRecord(name, marker.templateId ?? "");
    record.interrupted = true;
    record.append({ kind: "ended", state: "failed", error: interruptedMessage });
    records.push(record);
    logger.warn({ buildId: name }, "build interrupted by the agent's restart");
  }
  return records;
}
