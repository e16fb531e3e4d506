import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, link, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { envdFiles } from "./envd-files.js";
import { guestPaths, guestUser, wrennInit } from "./guest-scripts.js";
import { hostBusybox } from "./initramfs.js";
import type { Progress } from "./progress.js";
import { runCommand } from "@wrenn/shared";
import { formatBytes } from "./size.js";

export interface BaseRootfsRecipe {
  suite: string;
  mirror: string;
  include: string[];
}

// python3, curl and git: what E2B programs (and most agents) expect to find; sandboxes have no apt mirror to fetch them later.
// libnss-myhostname: the guest's hostname is its sandbox id, in no hosts file; without it sudo waits on DNS for it.
export const baseIncludes = ["sudo", "procps", "iproute2", "ca-certificates", "less", "python3", "curl", "git", "libnss-myhostname"];

/** The Debian mirror apt on this host already uses (WRENN_DEBIAN_MIRROR overrides). */
export async function hostDebianMirror(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.WRENN_DEBIAN_MIRROR) return env.WRENN_DEBIAN_MIRROR;
  const files: string[] = ["/etc/apt/sources.list"];
  if (existsSync("/etc/apt/sources.list.d")) {
    for (const f of await readdir("/etc/apt/sources.list.d")) files.push(join("/etc/apt/sources.list.d", f));
  }
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    const uri = /(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+\/debian)\/?(?:\s|$)/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return "http://deb.debian.org/debian";
}

export function baseRecipeHash(recipe: BaseRootfsRecipe): string {
  return createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 16);
}

/**
 * debootstrap once per recipe into `cacheDir/base-<hash>`; later builds
 * (new envd, new init) copy it instead of bootstrapping again. Packages are
 * cached in `cacheDir/debs`, seeded from the host's apt cache.
 */
export async function ensureBaseRootfs(recipe: BaseRootfsRecipe, cacheDir: string, progress: Progress, signal?: AbortSignal): Promise<string> {
  const dir = join(cacheDir, `base-${baseRecipeHash(recipe)}`);
  if (existsSync(join(dir, ".wrenn-base-complete"))) return dir;
  const debs = join(cacheDir, "debs");
  await mkdir(debs, { recursive: true });
  await seedFromHostAptCache(debs);
  const work = `${dir}.tmp`;
  await rm(work, { recursive: true, force: true });
  let lastPhase = "";
  // debootstrap prints "I: Retrieving …", "I: Installing …"; surface each phase once.
  const onOutput = (chunk: string) => {
    for (const line of chunk.split("\n")) {
      const phase = /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring|Installing|Base system)/.exec(line)?.[1];
      if (phase && phase !== lastPhase) {
        lastPhase = phase;
        progress.info({ step: "debootstrap", phase: line.slice(3) }, "debootstrap");
      }
    }
  };
  await runCommand(
    [
      "debootstrap",
      "--variant=minbase",
      `--include=${recipe.include.join(",")}`,
      `--cache-dir=${debs}`,
      recipe.suite,
      work,
      recipe.mirror,
    ],
    {
      signal,
      onStderr: onOutput,
      onStdout: onOutput,
    },
  );
  await writeFile(join(work, ".wrenn-base-complete"), JSON.stringify(recipe));
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  return dir;
}

async function seedFromHostAptCache(debs: string): Promise<void> {
  const hostCache = "/var/cache/apt/archives";
  if (!existsSync(hostCache)) return;
  for (const f of await readdir(hostCache)) {
    if (!f.endsWith(".deb") || existsSync(join(debs, f))) continue;
    await link(join(hostCache, f), join(debs, f)).catch(() => copyFile(join(hostCache, f), join(debs, f)).catch(() => {}));
  }
}

export interface RootfsInputs {
  base: string;
  nodeBinary: string;
  /** envd bundle; null puts a placeholder that explains itself and exits. */
  envdBundle: string | null;
  sizeBytes: number;
}

/** Copies the base, adds Node, envd, the init and the default user, then writes an ext4 image. */
export async function buildRootfs(inputs: RootfsInputs, staging: string, output: string, progress: Progress, signal?: AbortSignal): Promise<void> {
  await rm(staging, { recursive: true, force: true });
  await progress.step("rootfs: copy base", () => runCommand(["cp", "-a", inputs.base, staging], { signal }));
  await rm(join(staging, ".wrenn-base-complete"), { force: true });
  await progress.step("rootfs: add node, envd, init", async () => {
    await copyFile(inputs.nodeBinary, join(staging, guestPaths.node));
    await chmod(join(staging, guestPaths.node), 0o755);
    await checkSharedLibraries(inputs.nodeBinary, staging);
    await mkdir(join(staging, "opt/wrenn"), { recursive: true });
    if (inputs.envdBundle) {
      // Everything envd's build put beside the bundle (e.g. a native PTY helper) lands beside it in the guest.
      for (const file of await envdFiles(inputs.envdBundle)) {
        const target = file === inputs.envdBundle ? join(staging, guestPaths.envd) : join(staging, dirname(guestPaths.envd), basename(file));
        await copyFile(file, target);
        await chmod(target, (await stat(file)).mode & 0o777);
      }
    } else await writeFile(join(staging, guestPaths.envd), envdPlaceholder);
    await copyFile(hostBusybox, join(staging, guestPaths.busybox));
    await chmod(join(staging, guestPaths.busybox), 0o755);
    await writeFile(join(staging, guestPaths.init), wrennInit(), { mode: 0o755 });
  });
  await progress.step("rootfs: user and config", async () => {
    await runCommand(["chroot", staging, "useradd", "-m", "-u", String(guestUser.uid), "-U", "-s", "/bin/bash", guestUser.name], { signal });
    await mkdir(join(staging, "etc/sudoers.d"), { recursive: true });
    await writeFile(join(staging, "etc/sudoers.d", guestUser.name), `${guestUser.name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
    await writeFile(join(staging, "etc/hostname"), "wrenn\n");
    await writeFile(join(staging, "etc/hosts"), "127.0.0.1 localhost\n127.0.1.1 wrenn\n::1 localhost ip6-localhost ip6-loopback\n");
    // The host's resolver config must not leak into guests; the gateway is where a host-side resolver would sit.
    await rm(join(staging, "etc/resolv.conf"), { force: true });
    await writeFile(join(staging, "etc/resolv.conf"), "nameserver 169.254.0.22\n");
    await writeFile(join(staging, "etc/fstab"), "/dev/vda / ext4 rw,noatime 0 1\n");
    // The sandbox's own name (set at each start) resolves locally, before any DNS query.
    const nsswitch = await readFile(join(staging, "etc/nsswitch.conf"), "utf8");
    await writeFile(join(staging, "etc/nsswitch.conf"), nsswitch.replace(/^hosts:.*$/m, "hosts:          files myhostname dns"));
    await rm(join(staging, "var/cache/apt/archives"), { recursive: true, force: true });
    await mkdir(join(staging, "var/cache/apt/archives/partial"), { recursive: true });
  });
  await progress.step("rootfs: mkfs.ext4", async () => {
    const used = Number((await runCommand(["du", "-sb", staging])).stdout.split("\t")[0]);
    // ext4 metadata and the journal need room beyond the files themselves.
    const needed = Math.ceil(used * 1.15) + 64 * 2 ** 20;
    if (inputs.sizeBytes < needed) {
      throw new Error(`root disk size ${formatBytes(inputs.sizeBytes)} is too small: the root filesystem needs at least ${formatBytes(needed)} (set WRENN_DEFAULT_ROOTFS_SIZE)`);
    }
    await rm(output, { force: true });
    await runCommand(["truncate", "-s", String(inputs.sizeBytes), output]);
    await runCommand(["mkfs.ext4", "-q", "-F", "-L", "wrenn-root", "-d", staging, output], { signal });
  });
  await rm(staging, { recursive: true, force: true });
}

/** Every library the host's node links against must exist in the guest. */
async function checkSharedLibraries(binary: string, root: string): Promise<void> {
  const { stdout } = await runCommand(["ldd", binary]);
  const missing: string[] = [];
  for (const match of stdout.matchAll(/=>\s+(\/\S+)/g)) {
    const name = basename(match[1]);
    const candidates = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib"].map((d) => join(root, d, name));
    if (!candidates.some((c) => existsSync(c))) missing.push(name);
  }
  if (missing.length > 0) throw new Error(`the guest root lacks libraries ${binary} needs: ${missing.join(", ")}`);
}

const envdPlaceholder = `// Placeholder: this image was built before envd's bundle existed.
// Build it with \`npm run build -w @wrenn/envd\` and run \`npm run image\` again.
console.error("wrenn: envd bundle missing from this image; rebuild the image after npm run build -w @wrenn/envd");
process.exit(1);
`;
