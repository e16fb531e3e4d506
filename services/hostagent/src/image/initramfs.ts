import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { guestModules, initramfsInit } from "./guest-scripts.js";
import type { ExtractedKernel } from "./kernel.js";
import { runCommand } from "@wrenn/shared";

export const hostBusybox = "/bin/busybox";

/**
 * Builds a gzip'd newc cpio holding busybox-static, the virtio modules of
 * `kernel` and the /init from guest-scripts. Only files, no device nodes:
 * /init mounts devtmpfs first.
 */
export async function buildInitramfs(kernel: ExtractedKernel, output: string, signal?: AbortSignal): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "wrenn-initramfs-"));
  try {
    await mkdir(join(root, "bin"), { recursive: true });
    await mkdir(join(root, "lib/modules"), { recursive: true });
    await copyFile(hostBusybox, join(root, "bin/busybox"));
    await chmod(join(root, "bin/busybox"), 0o755);
    for (const module of guestModules) {
      const source = join(kernel.modulesDir, module);
      if (!existsSync(source)) throw new Error(`kernel ${kernel.release} has no ${module}`);
      await copyFile(source, join(root, "lib/modules", basename(module)));
    }
    await writeFile(join(root, "init"), initramfsInit(), { mode: 0o755 });
    // find | cpio | gzip, through sh so the pipe stays in one process tree.
    await runCommand(
      ["sh", "-c", `cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -6 > "$2"`, "sh", root, output],
      { signal },
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
