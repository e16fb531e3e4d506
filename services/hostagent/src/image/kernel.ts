import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "./run-command.js";

/** The Debian meta package; it depends on the versioned image package we actually use. */
const metaPackage = "linux-image-cloud-amd64";

export interface KernelPackage {
  /** e.g. "linux-image-6.1.0-56-cloud-amd64" */
  name: string;
  /** Debian version, e.g. "6.1.192-2" */
  version: string;
}

/** Asks the local apt metadata which versioned kernel the cloud meta package points at. */
export async function resolveKernelPackage(signal?: AbortSignal): Promise<KernelPackage> {
  const depends = await runCommand(["apt-cache", "depends", metaPackage], { signal });
  const name = /Depends:\s+(linux-image-[^\s]+-cloud-amd64)/.exec(depends.stdout)?.[1];
  if (!name) throw new Error(`apt-cache depends ${metaPackage} names no linux-image-*-cloud-amd64 package (run apt-get update?)`);
  const show = await runCommand(["apt-cache", "show", "--no-all-versions", name], { signal });
  const version = /^Version:\s*(\S+)/m.exec(show.stdout)?.[1];
  if (!version) throw new Error(`apt-cache show ${name} gave no version`);
  return { name, version };
}

export interface ExtractedKernel {
  /** Kernel release, the name of lib/modules/<release>. */
  release: string;
  vmlinuz: string;
  modulesDir: string;
}

/**
 * Downloads the kernel package once into `cacheDir` and extracts it there.
 * apt-get download writes into its working directory; the .deb name carries
 * the version, so a new kernel lands beside the old one.
 */
export async function fetchKernel(pkg: KernelPackage, cacheDir: string, signal?: AbortSignal): Promise<ExtractedKernel> {
  const tag = `${pkg.name}_${pkg.version}`;
  const extracted = join(cacheDir, tag);
  if (!existsSync(join(extracted, ".complete"))) {
    const work = join(cacheDir, `.${tag}.tmp`);
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    await runCommand(["apt-get", "download", `${pkg.name}=${pkg.version}`], { cwd: work, signal });
    const deb = (await readdir(work)).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${pkg.name} produced no .deb`);
    await runCommand(["dpkg-deb", "-x", join(work, deb), join(work, "root")], { signal });
    await runCommand(["touch", join(work, "root", ".complete")]);
    await rm(extracted, { recursive: true, force: true });
    await rename(join(work, "root"), extracted);
    await rm(work, { recursive: true, force: true });
  }
  const release = (await readdir(join(extracted, "lib/modules")))[0];
  if (!release) throw new Error(`${pkg.name} has no lib/modules`);
  const vmlinuz = join(extracted, "boot", `vmlinuz-${release}`);
  if (!existsSync(vmlinuz)) throw new Error(`${pkg.name} has no boot/vmlinuz-${release}`);
  return { release, vmlinuz, modulesDir: join(extracted, "lib/modules", release) };
}
