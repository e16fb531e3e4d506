import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildImage } from "../../src/image/build-image.js";
import { loadImageConfig } from "../../src/image/image-config.js";
import { digestInputs, type ImageInputs } from "../../src/image/inputs.js";
import { createProgress } from "../../src/image/progress.js";
import { logger, ms } from "./guest-helpers.js";

const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe("guest image build", () => {
  test("a second build with unchanged inputs is served from the cache at once", async () => {
    const config = loadImageConfig();
    const first = await buildImage({ ...config, progress: createProgress(logger) });
    const started = performance.now();
    const second = await buildImage({ ...config, progress: createProgress(logger) });
    const elapsed = performance.now() - started;
    console.log(`[image] first call: ${first.cached ? "cached" : `built in ${ms(first.manifest.buildMs)}`}; second call: ${ms(elapsed)}`);
    expect(second.cached).toBe(true);
    expect(second.dir).toBe(first.dir);
    expect(elapsed).toBeLessThan(5000);
    expect((await stat(second.rootfs)).size).toBe(config.sizeBytes);
    expect((await stat(second.kernel)).size).toBeGreaterThan(1_000_000);
    expect(second.manifest.envd.bundled).toBe(true);
  }, 600_000);

  test("the image hash changes with the envd bundle and the disk size, and only then", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wrenn-inputs-"));
    scratch.push(dir);
    const bundle = join(dir, "envd.mjs");
    await writeFile(bundle, "console.log('v1')\n");
    const inputs: ImageInputs = {
      kernel: { name: "linux-image-6.1.0-1-cloud-amd64", version: "6.1.1-1" },
      base: { suite: "bookworm", mirror: "http://deb.debian.org/debian", include: ["sudo"] },
      nodeBinary: process.execPath,
      envdBundle: bundle,
      busybox: "/bin/busybox",
      sizeBytes: 2 ** 31,
    };
    const base = (await digestInputs(inputs)).hash;
    expect((await digestInputs(inputs)).hash).toBe(base);
    // The mirror is where packages come from, not what they are.
    expect((await digestInputs({ ...inputs, base: { ...inputs.base, mirror: "http://example.invalid/debian" } })).hash).toBe(base);
    expect((await digestInputs({ ...inputs, sizeBytes: 2 ** 30 })).hash).not.toBe(base);
    expect((await digestInputs({ ...inputs, kernel: { ...inputs.kernel, version: "6.1.1-2" } })).hash).not.toBe(base);
    await writeFile(bundle, "console.log('v2')\n");
    expect((await digestInputs(inputs)).hash).not.toBe(base);
    await writeFile(bundle, "console.log('v1')\n");
    await writeFile(join(dir, "wrenn-pty"), "helper");
    expect((await digestInputs(inputs)).hash).not.toBe(base);
  });
});
