import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "@wrenn/shared";

/** The Debian meta package; it depends on the versioned image package we actually use. */
const metaPackage = "linux-image-cloud-amd64";

export interface KernelPackage {
  /** e.g. "linux-image-6.1.0-56-cloud-amd64" */
  name: string;
  /** Debian version, e.g. "6.1.192-2" */
  version: string;
}

/**
 * Asks the local apt metadata which versioned kernel the cloud meta package
 * points at (one apt-cache call: its Depends line pins the exact version).
 */
export async function resolveKernelPackage(signal?: AbortSignal): Promise<KernelPackage> {
  const show = await runCommand(["apt-cache", "show", "--no-all-versions", metaPackage], { signal });
  const match = /^Depends:.*?(linux-image-\S+-cloud-amd64) \(= ([^)\s]+)\)/m.exec(show.stdout);
  if (!match) throw new Error(`apt-cache show ${metaPackage} names no pinned linux-image-*-cloud-amd64 dependency (run apt-get update?)`);
  return { name: match[1], version: match[2] };
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
