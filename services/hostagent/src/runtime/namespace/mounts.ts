import { readFile, rm } from "node:fs/promises";
import { runCommand } from "@wrenn/shared";

/**
 * Host-side mount helpers. Node has no mount(2), so these call util-linux
 * `mount`/`umount`; /proc/self/mountinfo is the source of truth for what is
 * mounted, so cleanup can verify instead of trusting its own bookkeeping.
 */

/** overlayfs option values cannot contain these (they separate options and lowerdirs). */
const unsafeOptionChars = /[,:\\\s]/;

export interface OverlayDirs {
  lower: string;
  upper: string;
  work: string;
  target: string;
}

export async function mountOverlay(dirs: OverlayDirs): Promise<void> {
  for (const dir of [dirs.lower, dirs.upper, dirs.work]) {
    if (unsafeOptionChars.test(dir)) throw new Error(`overlay directory path contains a separator character: ${dir}`);
  }
  const options = `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work}`;
  await runCommand(["mount", "-t", "overlay", "overlay", "-o", options, dirs.target]);
}

/** Mount points at or below `root`, deepest first (the order to unmount them). */
export async function mountsUnder(root: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  const prefix = root.endsWith("/") ? root : `${root}/`;
  const found: string[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 5) continue;
    const mountPoint = unescapeMountinfo(fields[4]);
    if (mountPoint === root || mountPoint.startsWith(prefix)) found.push(mountPoint);
  }
  return found.sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything at or below `root`. A busy mount is detached lazily so
 * the directory can still be removed; the kernel frees it once unused.
 */
export async function unmountAllUnder(root: string): Promise<string[]> {
  const mounts = await mountsUnder(root);
  for (const mountPoint of mounts) {
    try {
      await runCommand(["umount", mountPoint]);
    } catch {
      await runCommand(["umount", "-l", mountPoint]);
    }
  }
  const left = await mountsUnder(root);
  if (left.length > 0) throw new Error(`mounts still present under ${root}: ${left.join(", ")}`);
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 …). */
function unescapeMountinfo(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

// Here rather than in namespace-runtime.ts: leftovers.ts needs it too, and
// importing the runtime from there closed an import cycle through recover-dirs.ts.
/** Unmounts anything left under the directory, then deletes it; never deletes through a mount. */
export async function removeSandboxDir(dir: string): Promise<void> {
  await unmountAllUnder(dir);
  await rm(dir, { recursive: true, force: true });
}
