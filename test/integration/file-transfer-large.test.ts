import { createHash, randomBytes } from "node:crypto";
import { statfsSync, readFileSync, writeFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";

// A 2 GiB file up and down through the controlplane's HTTP routes: the bytes
// arrive whole (sha256 on both ends, computed while streaming) and the
// controlplane's memory stays flat, since it streams with back-pressure
// instead of holding the file.
const ctx = useStackWithSandbox();
const fileBytes = 2 * 1024 ** 3;
const chunkBytes = 1024 * 1024;
const sandboxPath = "/tmp/large-transfer.bin";
// The file lives on this machine's disk (the namespace runtime), written once and read back.
const neededDiskBytes = 3 * fileBytes;
const diskFree = (() => {
  const fs = statfsSync(tmpdir());
  return fs.bavail * fs.bsize;
})();

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)\s*kB/.exec(line ?? "")?.[1]) * 1024;
}

/** Resets the process's peak resident size (VmHWM), so the peak read later is this transfer's. */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

/** `fileBytes` of random-looking data, a different 1 MiB each time, hashed as it is produced. */
function source(hash: ReturnType<typeof createHash>): Readable {
  const block = randomBytes(chunkBytes);
  let index = 0;
  return new Readable({
    read() {
      if (index * chunkBytes >= fileBytes) return void this.push(null);
      const chunk = Buffer.from(block);
      chunk.writeUInt32BE(index++, 0);
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

function send(method: string, body?: Readable, path = sandboxPath): Promise<IncomingMessage> {
  const url = new URL(`${ctx.stack.httpUrl}/v1/sandboxes/${ctx.sandboxId}/files?path=${path}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${ctx.stack.apiKey}`, ...(body ? { "content-type": "application/octet-stream" } : {}) } }, resolve);
    req.on("error", reject);
    if (body) pipeline(body, req).catch(reject);
    else req.end();
  });
}

async function inSandbox(cmd: string, ...args: string[]): Promise<string> {
  let stdout = "";
  for await (const { event } of ctx.client.processes.startProcess({ sandboxId: ctx.sandboxId, start: { process: { cmd, args, envs: {} }, timeoutMs: 300_000 } })) {
    if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
  }
  return stdout;
}

describe.skipIf(diskFree < neededDiskBytes)(`a 2 GiB transfer (needs ${neededDiskBytes / 1024 ** 3} GiB free in ${tmpdir()})`, () => {
  it("uploads and downloads the same bytes while the controlplane holds a few MiB", async () => {
    const pid = ctx.stack.services.controlplane.pid!;
    const sent = createHash("sha256");
    resetPeak(pid);
    const before = statusField(pid, "VmRSS");
    const up = await send("POST", source(sent));
    const answer = JSON.parse(await new Response(Readable.toWeb(up) as ReadableStream).text()) as { entries?: { size?: string }[] };
    expect(up.statusCode).toBe(200);
    expect(answer.entries?.[0]?.size).toBe(String(fileBytes));
    const uploadGrowth = statusField(pid, "VmHWM") - before;
    const sentHex = sent.digest("hex");
    expect((await inSandbox("sha256sum", sandboxPath)).split(" ")[0]).toBe(sentHex);

    resetPeak(pid);
    const beforeDown = statusField(pid, "VmRSS");
    const down = await send("GET");
    expect(down.statusCode).toBe(200);
    expect(down.headers["content-length"]).toBe(String(fileBytes));
    const got = createHash("sha256");
    let gotBytes = 0;
    for await (const chunk of down as AsyncIterable<Buffer>) {
      got.update(chunk);
      gotBytes += chunk.length;
    }
    const downloadGrowth = statusField(pid, "VmHWM") - beforeDown;
    expect(gotBytes).toBe(fileBytes);
    expect(got.digest("hex")).toBe(sentHex);

    const mib = (n: number) => (n / 1024 ** 2).toFixed(1);
    console.log(`controlplane RSS growth: upload ${mib(uploadGrowth)} MiB, download ${mib(downloadGrowth)} MiB (from ${mib(before)} MiB)`);
    // Bounded whatever the size (a held file would be 2 GiB): the issue's
    // figure is 64 MiB. What remains is V8's young generation filling to its
    // cap (the stack runs the controlplane with a 2 MiB semi-space) and the
    // copies in flight, not the file.
    expect(uploadGrowth).toBeLessThan(64 * 1024 ** 2);
    expect(downloadGrowth).toBeLessThan(64 * 1024 ** 2);
    await inSandbox("rm", "-f", sandboxPath);
  }, 600_000);

  it("holds a download back while its reader stops reading", async () => {
    // Sparse: 1 GiB the sandbox can read at memory speed, so only back-pressure stops it.
    await inSandbox("truncate", "-s", String(1024 ** 3), "/tmp/sparse.bin");
    const pid = ctx.stack.services.controlplane.pid!;
    resetPeak(pid);
    const before = statusField(pid, "VmRSS");
    const down = await send("GET", undefined, "/tmp/sparse.bin");
    expect(down.statusCode).toBe(200);
    down.pause();
    // Without back-pressure the file would pile up in the controlplane meanwhile.
    await sleep(5_000);
    const pausedGrowth = statusField(pid, "VmHWM") - before;
    let got = 0;
    for await (const chunk of down as AsyncIterable<Buffer>) got += chunk.length;
    console.log(`controlplane RSS growth while the reader paused: ${(pausedGrowth / 1024 ** 2).toFixed(1)} MiB`);
    expect(got).toBe(1024 ** 3);
    expect(pausedGrowth).toBeLessThan(64 * 1024 ** 2);
    await inSandbox("rm", "-f", "/tmp/sparse.bin");
  }, 300_000);
});
