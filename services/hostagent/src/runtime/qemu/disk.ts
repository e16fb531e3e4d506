import { chmod } from "node:fs/promises";
import { runCommand } from "@wrenn/shared";

export interface DiskInfo {
  virtualSize: number;
  format: string;
  backingFile?: string;
}

export async function diskInfo(path: string, signal?: AbortSignal): Promise<DiskInfo> {
  const { stdout } = await runCommand(["qemu-img", "info", "--output=json", "-U", path], { signal });
  const info = JSON.parse(stdout) as { "virtual-size": number; format: string; "backing-filename"?: string };
  return { virtualSize: info["virtual-size"], format: info.format, backingFile: info["backing-filename"] };
}

/**
 * Creates a qcow2 copy-on-write overlay on `base` (a raw rootfs.ext4 or a
 * template's qcow2). Its virtual size is never below the base's: an overlay
 * smaller than its base fills up and every guest write fails. Mode 0600.
 */
export async function createDiskOverlay(
  base: string,
  overlay: string,
  options: { sizeBytes?: number; signal?: AbortSignal } = {},
): Promise<DiskInfo> {
  const baseInfo = await diskInfo(base, options.signal);
  const size = Math.max(baseInfo.virtualSize, options.sizeBytes ?? 0);
  await runCommand(
    ["qemu-img", "create", "-q", "-f", "qcow2", "-F", baseInfo.format, "-b", base, overlay, String(size)],
    { signal: options.signal },
  );
  // What the guest writes lands here: its owner's only.
  await chmod(overlay, 0o600);
  return { virtualSize: size, format: "qcow2", backingFile: base };
}
