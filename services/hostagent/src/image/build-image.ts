import { existsSync } from "node:fs";
import { withBuildLock } from "./build-lock.js";
import { copyFile, mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { guestNetwork, guestPaths, guestUser } from "./guest-scripts.js";
import { buildInitramfs, hostBusybox } from "./initramfs.js";
import { digestInputs, type ImageInputs } from "./inputs.js";
import { fetchKernel, resolveKernelPackage } from "./kernel.js";
import type { Progress } from "./progress.js";
import { baseIncludes, buildRootfs, ensureBaseRootfs, hostDebianMirror } from "./rootfs.js";

export interface BuildImageOptions {
  /** `$WRENN_DATA_DIR/images` */
  imagesDir: string;
  sizeBytes: number;
  nodeBinary: string;
  /** envd bundle path; when the file does not exist the image gets a placeholder. */
  envdBundle: string;
  progress: Progress;
  signal?: AbortSignal;
}

export interface ImageManifest {
  hash: string;
  createdAt: string;
  buildMs: number;
  kernel: { package: string; version: string; release: string; file: "vmlinuz" };
  initrd: "initrd.img";
  rootfs: { file: "rootfs.ext4"; sizeBytes: number; format: "raw" };
  node: { version: string };
  envd: { bundled: boolean; path: string };
  guest: { network: typeof guestNetwork; user: typeof guestUser; init: string };
  inputs: Record<string, string>;
}

/** A built guest image: absolute paths plus its manifest. */
export interface GuestImage {
  dir: string;
  hash: string;
  kernel: string;
  initrd: string;
  rootfs: string;
  manifest: ImageManifest;
  /** True when this call found the image already built. */
  cached: boolean;
}

export async function buildImage(options: BuildImageOptions): Promise<GuestImage> {
  const { imagesDir, progress, signal } = options;
  const started = performance.now();
  const envdBundle = existsSync(options.envdBundle) ? options.envdBundle : null;
  if (!envdBundle) progress.info({ envdBundle: options.envdBundle }, "envd bundle not found: building with a placeholder (npm run build -w @wrenn/envd, then rebuild)");

  const inputs: ImageInputs = await progress.step("hash inputs", async () => ({
    kernel: await resolveKernelPackage(signal),
    base: { suite: "bookworm", mirror: await hostDebianMirror(), include: baseIncludes },
    nodeBinary: options.nodeBinary,
    envdBundle,
    busybox: hostBusybox,
    sizeBytes: options.sizeBytes,
  }));
  const digests = await digestInputs(inputs);
  const dir = join(imagesDir, digests.hash);
  const ready = await loadIfBuilt(imagesDir, digests.hash, dir, progress);
  if (ready) return ready;
  // Another process may be building the same image: wait for it, then look again.
  return withBuildLock(imagesDir, signal, async () => (await loadIfBuilt(imagesDir, digests.hash, dir, progress)) ?? build(options, inputs, digests, dir, started));
}

async function loadIfBuilt(imagesDir: string, hash: string, dir: string, progress: Progress): Promise<GuestImage | undefined> {
  if (!existsSync(join(dir, "manifest.json"))) return undefined;
  const image = await loadImage(dir, true);
  await pointCurrentAt(imagesDir, hash);
  progress.info({ hash, dir }, "image is up to date");
  return image;
}

async function build(
  options: BuildImageOptions,
  inputs: ImageInputs,
  digests: Awaited<ReturnType<typeof digestInputs>>,
  dir: string,
  started: number,
): Promise<GuestImage> {
  const { imagesDir, progress, signal } = options;
  const cacheDir = join(imagesDir, "cache");
  const envdBundle = inputs.envdBundle;
  progress.info({ hash: digests.hash, kernel: inputs.kernel, parts: digests.parts }, "building image");

  await mkdir(cacheDir, { recursive: true });
  const work = join(imagesDir, `.build-${digests.hash}-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const kernel = await progress.step("kernel: download and extract", () => fetchKernel(inputs.kernel, join(cacheDir, "kernel"), signal));
    await progress.step("kernel: copy vmlinuz", () => copyFile(kernel.vmlinuz, join(work, "vmlinuz")));
    await progress.step("initramfs", () => buildInitramfs(kernel, join(work, "initrd.img"), signal));
    const base = await progress.step("rootfs: debootstrap base (cached)", () => ensureBaseRootfs(inputs.base, cacheDir, progress, signal));
    await buildRootfs(
      { base, nodeBinary: inputs.nodeBinary, envdBundle, sizeBytes: inputs.sizeBytes },
      join(work, "staging"),
      join(work, "rootfs.ext4"),
      progress,
      signal,
    );
    const manifest: ImageManifest = {
      hash: digests.hash,
      createdAt: new Date().toISOString(),
      buildMs: Math.round(performance.now() - started),
      kernel: { package: inputs.kernel.name, version: inputs.kernel.version, release: kernel.release, file: "vmlinuz" },
      initrd: "initrd.img",
      rootfs: { file: "rootfs.ext4", sizeBytes: inputs.sizeBytes, format: "raw" },
      node: { version: execFileSync(inputs.nodeBinary, ["--version"]).toString().trim() },
      envd: { bundled: envdBundle !== null, path: guestPaths.envd },
      guest: { network: guestNetwork, user: guestUser, init: guestPaths.init },
      inputs: digests.parts,
    };
    await writeFile(join(work, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    // Publish atomically: readers only ever see complete image directories.
    if (existsSync(dir)) await rm(work, { recursive: true, force: true });
    else await rename(work, dir);
    await pointCurrentAt(imagesDir, digests.hash);
    progress.info({ hash: digests.hash, dir, ms: manifest.buildMs }, "image built");
    return await loadImage(dir, false);
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** Reads a built image directory (e.g. `$WRENN_DATA_DIR/images/current`). */
export async function loadImage(dir: string, cached = true): Promise<GuestImage> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as ImageManifest;
  return {
    dir,
    hash: manifest.hash,
    kernel: join(dir, manifest.kernel.file),
    initrd: join(dir, manifest.initrd),
    rootfs: join(dir, manifest.rootfs.file),
    manifest,
    cached,
  };
}

/** `images/current` names the newest build so the agent can find it without recomputing the hash. */
async function pointCurrentAt(imagesDir: string, hash: string): Promise<void> {
  const tmp = join(imagesDir, `.current-${process.pid}`);
  await rm(tmp, { force: true });
  await symlink(hash, tmp);
  await rename(tmp, join(imagesDir, "current"));
}
