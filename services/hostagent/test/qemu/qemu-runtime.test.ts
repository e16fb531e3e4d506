import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toWireId } from "@wrenn/shared";
import { randomUUID } from "node:crypto";
import { buildImage } from "../../src/image/build-image.js";
import { loadImageConfig } from "../../src/image/image-config.js";
import { createProgress } from "../../src/image/progress.js";
import type { SandboxExit } from "../../src/runtime/runtime.js";
import { waitEnvdServing } from "../../src/envd/envd-connection.js";
import { createQemuRuntime } from "../../src/runtime/qemu/index.js";
import { guestClient, logger, ms } from "./guest-helpers.js";

/** The QEMU runtime behind the host agent's Runtime interface: sandboxes are restores of the base template. */
let dataDir: string;
let runtime: ReturnType<typeof createQemuRuntime>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const newId = () => toWireId("sb", randomUUID());

beforeAll(async () => {
  const image = await buildImage({ ...loadImageConfig(), progress: createProgress(logger) });
  dataDir = await mkdtemp(join(tmpdir(), "wrenn-qr-"));
  runtime = createQemuRuntime({ sandboxesDir: join(dataDir, "sandboxes"), templatesDir: join(dataDir, "templates"), image, logger });
  const started = performance.now();
  await runtime.prepare();
  console.log(`[qemu-runtime] base template (cold boot + snapshot): ${ms(performance.now() - started)}`);
}, 600_000);

afterAll(async () => {
  await runtime?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The token the base template's envd holds (its warm-up set it); a clone's first Init presents it. */
const baseToken = () => runtime.templateInfo().find((t) => t.id === "base")?.envdToken;

describe("QEMU runtime", () => {
  test("sandboxes from the base template run side by side, and destroy leaves nothing behind", async () => {
    const ids = [newId(), newId()];
    const handles = [];
    for (const sandboxId of ids) {
      const started = performance.now();
      const handle = await runtime.create({ sandboxId, templateId: "base", hostname: "sb" }, AbortSignal.timeout(60_000));
      await waitEnvdServing(handle.envdTarget, AbortSignal.timeout(30_000));
      console.log(`[qemu-runtime] create → envd healthy: ${ms(performance.now() - started)}`);
      handles.push(handle);
    }
    expect(runtime.list().map((h) => h.sandboxId).sort()).toEqual([...ids].sort());
    const clients = handles.map((h) => guestClient(h.envdTarget, baseToken()));
    try {
      await clients[0].run("sh", ["-c", "echo first > /home/wrenn-user/f"]);
      expect((await clients[1].run("sh", ["-c", "cat /home/wrenn-user/f 2>/dev/null || echo absent"])).stdout.trim()).toBe("absent");
      expect((await clients[0].run("cat", ["/home/wrenn-user/f"])).stdout.trim()).toBe("first");
    } finally {
      for (const c of clients) c.close();
    }
    for (const handle of handles) {
      await runtime.destroy(handle.sandboxId);
      expect(alive(handle.pid)).toBe(false);
      expect(existsSync(join(dataDir, "sandboxes", handle.sandboxId))).toBe(false);
    }
    expect(runtime.list()).toEqual([]);
  }, 120_000);

  test("pause then resume keeps a tmpfs file and a background process that keeps counting", async () => {
    const sandboxId = newId();
    const handle = await runtime.create({ sandboxId, templateId: "base", hostname: "sb" }, AbortSignal.timeout(60_000));
    await waitEnvdServing(handle.envdTarget, AbortSignal.timeout(30_000));
    let client = guestClient(handle.envdTarget, baseToken());
    await client.run("sh", ["-c", "echo paused-once > /tmp/marker; (i=0; while true; do i=$((i+1)); echo $i > /tmp/c.next; mv /tmp/c.next /tmp/c; sleep 0.1; done) >/dev/null 2>&1 &"]);
    // Counting has begun (a loaded host may take a while to run the first round).
    let before = 0;
    for (let i = 0; i < 100 && before === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      before = Number((await client.run("cat", ["/tmp/c"])).stdout);
    }
    expect(before).toBeGreaterThan(0);
    client.close();

    const paused = await runtime.pause(sandboxId);
    console.log(`[qemu-runtime] pause of a template clone (full RAM, ${Math.round(paused.stateBytes / 2 ** 20)} MiB state): ${ms(paused.ms)}`);
    expect(alive(handle.pid)).toBe(false);
    expect(runtime.list()).toEqual([]);
    expect(runtime.paused()).toEqual([sandboxId]);

    const started = performance.now();
    const resumed = await runtime.resume(sandboxId, AbortSignal.timeout(60_000));
    await waitEnvdServing(resumed.envdTarget, AbortSignal.timeout(30_000));
    console.log(`[qemu-runtime] resume → envd healthy: ${ms(performance.now() - started)}`);
    client = guestClient(resumed.envdTarget);
    try {
      expect((await client.run("cat", ["/tmp/marker"])).stdout.trim()).toBe("paused-once");
      const after = Number((await client.run("cat", ["/tmp/c"])).stdout);
      expect(after).toBeGreaterThanOrEqual(before);
      await new Promise((r) => setTimeout(r, 700));
      expect(Number((await client.run("cat", ["/tmp/c"])).stdout)).toBeGreaterThan(after);
    } finally {
      client.close();
    }
    await runtime.destroy(sandboxId);
    expect(alive(resumed.pid)).toBe(false);
    expect(existsSync(join(dataDir, "sandboxes", sandboxId))).toBe(false);
  }, 90_000);

  test("a VM killed from outside is reported once and its directory removed", async () => {
    const sandboxId = newId();
    const handle = await runtime.create({ sandboxId, templateId: "base", hostname: "sb" }, AbortSignal.timeout(60_000));
    const exited = new Promise<SandboxExit>((resolve) => runtime.onExit(resolve));
    process.kill(handle.pid, "SIGKILL");
    const exit = await exited;
    expect(exit.sandboxId).toBe(sandboxId);
    expect(exit.signal).toBe("SIGKILL");
    expect(existsSync(join(dataDir, "sandboxes", sandboxId))).toBe(false);
    expect(runtime.list()).toEqual([]);
  }, 60_000);

  test("a failed or cancelled create leaves no directory and no process", async () => {
    await expect(runtime.create({ sandboxId: newId(), templateId: "no-such-template", hostname: "x" }, AbortSignal.timeout(10_000))).rejects.toThrow(/not found/);
    const controller = new AbortController();
    const pending = runtime.create({ sandboxId: newId(), templateId: "base", hostname: "x" }, controller.signal);
    setTimeout(() => controller.abort(new Error("caller went away")), 30);
    await expect(pending).rejects.toThrow();
    expect(await readdir(join(dataDir, "sandboxes"))).toEqual([]);
    expect(runtime.list()).toEqual([]);
  }, 60_000);
});
