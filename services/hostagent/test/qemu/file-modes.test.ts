import { randomBytes, randomUUID } from "node:crypto";
import { lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toWireId } from "@wrenn/shared";
import { waitEnvdServing } from "../../src/envd/envd-connection.js";
import { buildImage } from "../../src/image/build-image.js";
import { loadImageConfig } from "../../src/image/image-config.js";
import { createProgress } from "../../src/image/progress.js";
import { createQemuRuntime } from "../../src/runtime/qemu/index.js";
import { guestClient, logger } from "./guest-helpers.js";

// A paused QEMU sandbox's state file is its guest RAM: env values, tokens
// and whatever its processes held, in clear. So is the memory file of a
// template made from it, and its disk holds what the guest wrote. Every file
// in a sandbox's (or such a template's) directory is readable by its owner
// only, as the directory itself is.
let dataDir: string;
let runtime: ReturnType<typeof createQemuRuntime>;

beforeAll(async () => {
  const image = await buildImage({ ...loadImageConfig(), progress: createProgress(logger) });
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-modes-"));
  runtime = createQemuRuntime({ sandboxesDir: join(dataDir, "sandboxes"), templatesDir: join(dataDir, "templates"), image, logger });
  await runtime.prepare();
}, 600_000);

afterAll(async () => {
  await runtime?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Each entry of `dir` (recursively) with its permission bits, e.g. { "state": "600" }. */
async function modes(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const name of await readdir(dir, { recursive: true })) {
    const info = await lstat(join(dir, name));
    if (info.isFile() || info.isDirectory()) found[name] = (info.mode & 0o777).toString(8);
  }
  return found;
}

const ownerOnly = (entries: Record<string, string>) =>
  Object.fromEntries(Object.entries(entries).map(([name, mode]) => [name, (parseInt(mode, 8) & 0o077) === 0 ? mode : `${mode} (group or others may read)`]));

describe("QEMU sandbox files", () => {
  test("a paused sandbox's state file and every other file beside it, and a template made from it, are the owner's only", async () => {
    const sandboxId = toWireId("sb", randomUUID());
    const handle = await runtime.create({ sandboxId, templateId: "base", hostname: "sb" }, AbortSignal.timeout(120_000));
    await waitEnvdServing(handle.envdTarget, AbortSignal.timeout(60_000));
    const token = runtime.templateInfo().find((t) => t.id === "base")?.envdToken;
    const client = guestClient(handle.envdTarget, token);
    try {
      // Something secret in guest memory (tmpfs), as an env value would be.
      await client.run("sh", ["-c", `echo ${randomBytes(16).toString("hex")} > /dev/shm/secret`]);
    } finally {
      client.close();
    }
    await runtime.pause(sandboxId);

    const dir = join(dataDir, "sandboxes", sandboxId);
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
    const files = await modes(dir);
    expect(Object.keys(files), "the paused sandbox's files").toEqual(expect.arrayContaining(["state", "disk.qcow2", "console.log"]));
    expect(files).toEqual(ownerOnly(files));

    const templateId = `modes-${randomBytes(3).toString("hex")}`;
    await runtime.createTemplate(sandboxId, templateId, { envdToken: token, quiesced: false, signal: AbortSignal.timeout(300_000) });
    const templateDir = join(dataDir, "templates", templateId);
    expect((await lstat(templateDir)).mode & 0o777).toBe(0o700);
    const templateFiles = await modes(templateDir);
    expect(Object.keys(templateFiles), "the template's files").toEqual(expect.arrayContaining(["memory", "state", "disk.qcow2"]));
    expect(templateFiles).toEqual(ownerOnly(templateFiles));

    await runtime.deleteTemplate(templateId);
    await runtime.destroy(sandboxId);
  }, 600_000);
});
