import { posix } from "node:path";
import { FilesystemServiceDefinition } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import type { CopyItem } from "../archive/build-archive.js";
import { rootScript, shellQuote } from "./root-script.js";
import { StepError, type StepContext } from "./step-context.js";

/**
 * COPY, following the plan made at StartBuild: directories and the parents
 * of files made first, file contents streamed from the archive through
 * envd's WriteFile, then symlinks, modes and ownership (the current user)
 * set in one root script.
 */
export async function copyStep(ctx: StepContext): Promise<void> {
  const { plan, archive } = ctx;
  if (plan === undefined || archive === undefined) throw new StepError("COPY needs an archive");
  const items = plan.items;
  const parents = new Set<string>();
  for (const item of items) parents.add(item.entry.type === "dir" ? item.target : posix.dirname(item.target));
  await rootScript(ctx, "creating COPY's directories", [...parents].map((p) => `mkdir -p -- ${shellQuote(p)}`).join("\n") || "true");

  const files = ctx.envd.client(FilesystemServiceDefinition);
  for (const item of items) {
    if (item.entry.type !== "file") continue;
    ctx.signal.throwIfAborted();
    await files.writeFile(chunksOf(item, ctx), { signal: ctx.signal });
  }

  const user = shellQuote(ctx.vars.user);
  const lines = ["set -e"];
  for (const { entry, target } of items) {
    const path = shellQuote(target);
    if (entry.type === "symlink") lines.push(`rm -rf -- ${path}`, `ln -s -- ${shellQuote(entry.linkTarget ?? "")} ${path}`);
    else lines.push(`chmod ${(entry.mode & 0o7777).toString(8)} -- ${path}`);
    lines.push(`chown -h ${user}: -- ${path}`);
  }
  await rootScript(ctx, "setting COPY's owners and modes", lines.join("\n"));
}

async function* chunksOf(item: CopyItem, ctx: StepContext): AsyncGenerator<{ path: string; data: Buffer; user: string }> {
  yield { path: item.target, data: Buffer.alloc(0), user: "root" };
  for await (const chunk of ctx.archive!.read(item.entry)) {
    yield { path: item.target, data: Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string), user: "root" };
  }
}
