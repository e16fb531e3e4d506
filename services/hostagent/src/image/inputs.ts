import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { envdFiles } from "./envd-files.js";
import type { KernelPackage } from "./kernel.js";
import type { BaseRootfsRecipe } from "./rootfs.js";

export interface ImageInputs {
  kernel: KernelPackage;
  base: BaseRootfsRecipe;
  nodeBinary: string;
  envdBundle: string | null;
  busybox: string;
  sizeBytes: number;
}

export interface InputDigests {
  hash: string;
  parts: Record<string, string>;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The image hash covers everything that changes its bytes: the kernel package
 * version, the base recipe, the node, busybox and envd files, the size, and
 * the build code itself (the scripts and recipe live in this folder's .ts
 * files, so any edit to them rebuilds). The mirror is left out on purpose:
 * it is where packages come from, not what they are.
 */
export async function digestInputs(inputs: ImageInputs): Promise<InputDigests> {
  const [node, busybox, envd, recipe] = await Promise.all([
    sha256File(inputs.nodeBinary),
    sha256File(inputs.busybox),
    inputs.envdBundle && existsSync(inputs.envdBundle) ? digestEnvdFiles(inputs.envdBundle) : "placeholder",
    digestBuildCode(),
  ]);
  const parts: Record<string, string> = {
    kernel: `${inputs.kernel.name}=${inputs.kernel.version}`,
    base: JSON.stringify({ suite: inputs.base.suite, include: inputs.base.include }),
    node,
    busybox,
    envd,
    size: String(inputs.sizeBytes),
    recipe,
  };
  const hash = createHash("sha256");
  for (const key of Object.keys(parts).sort()) hash.update(`${key}\0${parts[key]}\0`);
  return { hash: hash.digest("hex").slice(0, 24), parts };
}

/** The bundle and every file built beside it (native helpers) go into the guest, so all of them count. */
async function digestEnvdFiles(bundle: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of await envdFiles(bundle)) hash.update(`${basename(file)}\0${await sha256File(file)}\0`);
  return hash.digest("hex");
}

async function digestBuildCode(): Promise<string> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = (await readdir(dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith(".test.ts") && f !== "main.ts").sort();
  const hash = createHash("sha256");
  for (const f of files) hash.update(`${f}\0`).update(await readFile(join(dir, f)));
  return hash.digest("hex");
}
