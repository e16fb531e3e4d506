import { randomBytes } from "node:crypto";
import { chmod, cp, lstat, mkdir, readFile, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@wrenn/shared";

/**
 * Builds the "base" template root: the overlay lower layer every sandbox
 * starts from. It is assembled from the host (only the QEMU runtime boots
 * the debootstrap guest image): /usr is bind-mounted read-only at run time,
 * so the template only holds the usual symlinks into usr, a curated /etc and
 * empty directories. Secrets such as /etc/shadow are deliberately absent.
 */

/** Host /etc entries copied into the template (files, symlinks or whole dirs). */
const curatedEtc = [
  "passwd",
  "group",
  "resolv.conf",
  "nsswitch.conf",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "ssl/certs",
  "ssl/openssl.cnf",
  "alternatives",
  "os-release",
  "localtime",
  "profile",
  "bash.bashrc",
  "environment",
];

/** Top-level directories and their modes. /tmp is sticky and world-writable as usual. */
const directories: Array<[string, number]> = [
  ["usr", 0o755],
  ["etc", 0o755],
  ["home", 0o755],
  ["root", 0o700],
  ["tmp", 0o1777],
  ["var", 0o755],
  ["var/tmp", 0o1777],
  ["run", 0o755],
  ["run/wrenn", 0o755],
  ["opt", 0o755],
  ["opt/wrenn", 0o755],
  ["proc", 0o555],
  ["dev", 0o755],
];

/** Paths inside the sandbox that the namespace runtime bind-mounts over. */
export const sandboxPaths = {
  envdBundle: "/opt/wrenn/envd.mjs",
  runDir: "/run/wrenn",
  envdSocket: "/run/wrenn/envd.sock",
} as const;

export const baseTemplateId = "base";

/**
 * (Re)builds `templatesDir/base/rootfs` and returns its path. Built beside
 * the old one and renamed into place, so a crash never leaves half a root.
 * At agent start; a root that sandboxes of a previous run still have as
 * their overlay's lower layer is kept as it is (removing it would empty
 * their view of / under them), and rebuilt at a start when none is left.
 */
export async function buildBaseTemplate(templatesDir: string, logger: Logger): Promise<string> {
  const templateDir = join(templatesDir, baseTemplateId);
  const finalRoot = join(templateDir, "rootfs");
  if (await usedAsLowerLayer(finalRoot)) {
    logger.info({ template: baseTemplateId, root: finalRoot }, "template root kept: sandboxes of the previous run use it");
    return finalRoot;
  }
  const staging = join(templateDir, `rootfs.staging-${randomBytes(4).toString("hex")}`);
  await mkdir(templateDir, { recursive: true });
  try {
    await populate(staging, logger);
    await rm(finalRoot, { recursive: true, force: true });
    await rename(staging, finalRoot);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  logger.info({ template: baseTemplateId, root: finalRoot }, "template root built");
  return finalRoot;
}

async function populate(root: string, logger: Logger): Promise<void> {
  await mkdir(root, { mode: 0o755 });
  for (const [dir, mode] of directories) {
    await mkdir(join(root, dir), { recursive: true });
    await chmod(join(root, dir), mode); // mkdir's mode is filtered by the umask
  }
  // Same merged-/usr layout as the host: /bin → usr/bin and so on.
  for (const name of ["bin", "sbin", "lib", "lib64", "lib32", "libx32"]) {
    const target = await hostSymlinkTarget(`/${name}`);
    if (target !== undefined) await symlink(target, join(root, name));
  }
  for (const entry of curatedEtc) {
    const source = join("/etc", entry);
    const exists = await lstat(source).then(
      () => true,
      () => false,
    );
    if (!exists) {
      logger.debug({ entry }, "host /etc entry missing, not copied into template");
      continue;
    }
    // verbatimSymlinks keeps e.g. ssl/certs/*.pem → /usr/share/ca-certificates
    // links as links; they resolve inside the sandbox through the /usr bind.
    await cp(source, join(root, "etc", entry), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  }
  await writeFile(join(root, "etc", "hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  // Mount target for the read-only envd bundle.
  await writeFile(join(root, sandboxPaths.envdBundle), "", { mode: 0o644 });
}

/** An overlay mount on this host names `dir` as its lower layer (mount options escape "," and "\\"). */
async function usedAsLowerLayer(dir: string): Promise<boolean> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const escaped = dir.replace(/\\/g, "\\\\").replace(/,/g, "\\,");
  const option = `lowerdir=${escaped}`;
  return mountinfo.split("\n").some((line) => line.includes(" - overlay ") && (line.includes(`${option},`) || line.endsWith(option)));
}

async function hostSymlinkTarget(path: string): Promise<string | undefined> {
  try {
    const stat = await lstat(path);
    return stat.isSymbolicLink() ? await readlink(path) : undefined;
  } catch {
    return undefined;
  }
}
