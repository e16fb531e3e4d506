import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildImage, type GuestImage } from "../../src/image/build-image.js";
import { loadImageConfig } from "../../src/image/image-config.js";
import { createProgress } from "../../src/image/progress.js";
import { bootVm, createDiskOverlay, machineSpecFor, restoreVm, userNetForEnvd, type QemuVm } from "../../src/runtime/qemu/index.js";
import { freePort, guestClient, logger, ms, vmDir, type GuestClient } from "./guest-helpers.js";

/**
 * Real QEMU, real guest image, real envd: one VM is booted once, then
 * snapshotted, restored and cloned, because a cold boot under TCG costs ~10 s.
 */
const memoryMiB = 256;
const tag = `wrenn-test-${process.pid}`;
const memoryFile = `/dev/shm/${tag}.mem`;

let image: GuestImage;
const dirs: string[] = [];
const vms: QemuVm[] = [];
const clients: GuestClient[] = [];

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function counter(client: GuestClient): Promise<number> {
  const { stdout } = await client.run("cat", ["/tmp/c"]);
  return Number(stdout.trim());
}

beforeAll(async () => {
  image = await buildImage({ ...loadImageConfig(), progress: createProgress(logger) });
}, 600_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(vms.map((vm) => vm.stop()));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  await rm(memoryFile, { force: true });
});

describe("QEMU microvm driver", { sequential: true }, () => {
  let dir: string;
  let vm: QemuVm;
  let client: GuestClient;

  test("a VM boots from the image and envd answers its health check over the forwarded port", async () => {
    dir = await vmDir("vm");
    dirs.push(dir);
    await createDiskOverlay(image.rootfs, join(dir, "disk.qcow2"));
    const port = await freePort();
    const spec = machineSpecFor(image, { memoryMiB, memoryPath: memoryFile, shareMemory: true, diskPath: join(dir, "disk.qcow2"), net: userNetForEnvd(port) });
    const started = performance.now();
    vm = await bootVm(spec, { dir, logger, name: "wrenn-test-boot" });
    vms.push(vm);
    client = guestClient(port);
    clients.push(client);
    await client.waitHealthy(90_000);
    console.log(`[qemu] accel=${spec.accel} cold boot to envd healthy: ${ms(performance.now() - started)}`);

    const whoami = await client.run("id", ["-un"], { user: "wrenn-user" });
    expect(whoami.stdout.trim()).toBe("wrenn-user");
    const sudo = await client.run("sudo", ["-n", "id", "-u"], { user: "wrenn-user" });
    expect(sudo.stdout.trim()).toBe("0");
    const node = await client.run("node", ["--version"]);
    expect(node.stdout.trim()).toBe(process.version);
  }, 150_000);

  test("snapshot then restore keeps a tmpfs file and a running counter that keeps counting", async () => {
    const start = await client.run("sh", [
      "-c",
      "echo kept-in-tmpfs > /tmp/marker; (i=0; while true; do i=$((i+1)); echo $i > /tmp/c.next; mv /tmp/c.next /tmp/c; sleep 0.1; done) >/dev/null 2>&1 &",
    ]);
    expect(start.exitCode).toBe(0);
    // Counting has begun (a loaded host may take a while to run the first round).
    let before = 0;
    for (let i = 0; i < 100 && before === 0; i++) {
      await sleep(100);
      before = await counter(client);
    }
    expect(before).toBeGreaterThan(0);
    client.close();

    const snapStarted = performance.now();
    const meta = await vm.snapshot(dir);
    const snapMs = performance.now() - snapStarted;
    const exit = await vm.exited;
    expect(exit.expected).toBe(true);
    console.log(`[qemu] snapshot (device state ${meta.stateBytes} bytes, RAM in file): ${ms(snapMs)}`);

    const port = await freePort();
    const spec = { ...vm.spec, net: userNetForEnvd(port) };
    const restoreStarted = performance.now();
    vm = await restoreVm(spec, dir, { dir, logger, name: "wrenn-test-restore" });
    const restoreMs = performance.now() - restoreStarted;
    vms.push(vm);
    client = guestClient(port);
    clients.push(client);
    const healthMs = await client.waitHealthy(30_000);
    console.log(`[qemu] restore (spawn → running): ${ms(restoreMs)}; then envd healthy after ${ms(healthMs)}`);

    expect((await client.run("cat", ["/tmp/marker"])).stdout.trim()).toBe("kept-in-tmpfs");
    const after = await counter(client);
    expect(after).toBeGreaterThanOrEqual(before);
    await sleep(700);
    expect(await counter(client)).toBeGreaterThan(after);
  }, 90_000);

  test("two clones restored from one template memory file run at once and differ after writes", async () => {
    client.close();
    await vm.snapshot(dir);
    await vm.exited;
    const templateHash = await sha256(memoryFile);

    const clones: Array<{ vm: QemuVm; client: GuestClient }> = [];
    for (const name of ["a", "b"]) {
      const cloneDir = await vmDir(`clone-${name}`);
      dirs.push(cloneDir);
      // The template's disk becomes a read-only backing file; each clone writes to its own overlay.
      await createDiskOverlay(join(dir, "disk.qcow2"), join(cloneDir, "disk.qcow2"));
      const port = await freePort();
      const spec = { ...vm.spec, memory: { path: memoryFile, share: false }, disk: { path: join(cloneDir, "disk.qcow2"), format: "qcow2" as const }, net: userNetForEnvd(port) };
      const started = performance.now();
      const clone = await restoreVm(spec, dir, { dir: cloneDir, logger, name: `wrenn-test-clone-${name}` });
      const restoreMs = performance.now() - started;
      vms.push(clone);
      const cloneClient = guestClient(port);
      clients.push(cloneClient);
      const healthMs = await cloneClient.waitHealthy(30_000);
      console.log(`[qemu] clone ${name} restore: ${ms(restoreMs)}; envd healthy after ${ms(healthMs)}`);
      clones.push({ vm: clone, client: cloneClient });
    }

    for (const [i, { client: c }] of clones.entries()) {
      const write = await c.run("sh", ["-c", `echo clone-${i} > /tmp/who && echo disk-${i} > /root/who && sync`]);
      expect(write.exitCode).toBe(0);
    }
    for (const [i, { client: c, vm: clone }] of clones.entries()) {
      expect(clone.pid).toBeGreaterThan(0);
      expect((await c.run("cat", ["/tmp/who"])).stdout.trim()).toBe(`clone-${i}`);
      expect((await c.run("cat", ["/root/who"])).stdout.trim()).toBe(`disk-${i}`);
      // Both inherited the template's counter and keep it running independently.
      expect(await counter(c)).toBeGreaterThan(0);
    }
    const stats = await clones[0].vm.stats();
    console.log(`[qemu] clone a host RSS ${Math.round(stats.rssBytes / 2 ** 20)} MiB, CPU ${stats.cpuSeconds.toFixed(2)} s`);
    // Copy-on-write: the clones' writes never reach the template's memory file.
    expect(await sha256(memoryFile)).toBe(templateHash);
    expect((await stat(join(dir, "state"))).size).toBeGreaterThan(0);
  }, 90_000);

  test("a VM killed from outside is reported as an unexpected exit", async () => {
    const victim = vms[vms.length - 1];
    const reported = new Promise((resolve) => victim.onUnexpectedExit(resolve));
    process.kill(victim.pid, "SIGKILL");
    const exit = await victim.exited;
    expect(exit.expected).toBe(false);
    expect(exit.signal).toBe("SIGKILL");
    await reported;
  }, 30_000);
});
