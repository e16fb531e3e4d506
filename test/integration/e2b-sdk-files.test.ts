import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileNotFoundError, FileType, Sandbox, type FilesystemEvent } from "e2b";
import { useE2bStack } from "../harness/e2b-stack.js";

// The official e2b SDK's files module against Wrenn, configured only through
// its environment: reads, writes, listings, watches and a large transfer as a
// user of E2B makes them.
const ctx = useE2bStack();
let sbx: Sandbox;

beforeAll(async () => {
  sbx = await Sandbox.create();
});

afterAll(async () => {
  await sbx?.kill().catch(() => undefined);
});

const python = join(import.meta.dirname, "..", "..", ".venv", "bin", "python");
/** The sandbox's envd access token as the SDK holds it (what it sends as X-Access-Token). */
const tokenOf = (sandbox: Sandbox) => (sandbox as unknown as { envdAccessToken?: string }).envdAccessToken ?? "";
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

const bigBytes = 512 * 1024 ** 2;

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)\s*kB/.exec(line ?? "")?.[1]) * 1024;
}

/** Resets the process's peak resident size (VmHWM), so the peak read later is this transfer's. */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

/** Waits until `check` holds, polling; fails with what was last seen. */
async function eventually(check: () => boolean, what: () => unknown, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out; saw ${JSON.stringify(what())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("e2b SDK files", () => {
  it("writes and reads text, bytes and an empty file", async () => {
    const info = await sbx.files.write("/tmp/e2b/hello.txt", "hello from e2b\n");
    expect(info).toMatchObject({ path: "/tmp/e2b/hello.txt", name: "hello.txt", type: FileType.FILE });
    expect(await sbx.files.read("/tmp/e2b/hello.txt")).toBe("hello from e2b\n");

    const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
    await sbx.files.write("/tmp/e2b/bytes.bin", bytes.buffer);
    expect(Array.from(await sbx.files.read("/tmp/e2b/bytes.bin", { format: "bytes" }))).toEqual(Array.from(bytes));
    const blob = await sbx.files.read("/tmp/e2b/bytes.bin", { format: "blob" });
    expect(blob.size).toBe(bytes.length);

    await sbx.files.write("/tmp/e2b/empty.txt", "");
    expect(await sbx.files.read("/tmp/e2b/empty.txt")).toBe("");
    expect((await sbx.files.read("/tmp/e2b/empty.txt", { format: "bytes" })).length).toBe(0);

    // Seen from inside the sandbox too, not just through the same face.
    const cat = await sbx.commands.run("cat /tmp/e2b/hello.txt");
    expect(cat.stdout).toBe("hello from e2b\n");
  });

  it("writes a ReadableStream (octet-stream upload) and reads it back as a stream", async () => {
    const parts = ["one,", "two,", "three"];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    await sbx.files.write("/tmp/e2b/streamed.txt", stream);
    const out = await sbx.files.read("/tmp/e2b/streamed.txt", { format: "stream" });
    const chunks: Uint8Array[] = [];
    for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe("one,two,three");
  });

  it("writes a gzip upload", async () => {
    await sbx.files.write("/tmp/e2b/gz.txt", "compressed on the wire", { gzip: true });
    expect(await sbx.files.read("/tmp/e2b/gz.txt")).toBe("compressed on the wire");
  });

  it("writes several files at once", async () => {
    const written = await sbx.files.write([
      { path: "/tmp/e2b/many/a.txt", data: "A" },
      { path: "/tmp/e2b/many/sub/b.txt", data: "BB" },
      { path: "/tmp/e2b/many/c.bin", data: new Uint8Array([1, 2, 3]).buffer },
    ]);
    expect(written.map((w) => w.path)).toEqual(["/tmp/e2b/many/a.txt", "/tmp/e2b/many/sub/b.txt", "/tmp/e2b/many/c.bin"]);
    expect(await sbx.files.read("/tmp/e2b/many/sub/b.txt")).toBe("BB");
    expect(Array.from(await sbx.files.read("/tmp/e2b/many/c.bin", { format: "bytes" }))).toEqual([1, 2, 3]);
  });

  it("lists with depth, and reports entries as E2B does", async () => {
    await sbx.files.write([
      { path: "/tmp/e2b/tree/top.txt", data: "t" },
      { path: "/tmp/e2b/tree/d1/mid.txt", data: "mm" },
      { path: "/tmp/e2b/tree/d1/d2/deep.txt", data: "ddd" },
    ]);
    const one = await sbx.files.list("/tmp/e2b/tree");
    expect(one.map((e) => e.name).sort()).toEqual(["d1", "top.txt"]);
    const d1 = one.find((e) => e.name === "d1")!;
    expect(d1.type).toBe(FileType.DIR);
    expect(d1.permissions.startsWith("d")).toBe(true);
    const top = one.find((e) => e.name === "top.txt")!;
    expect(top).toMatchObject({ type: FileType.FILE, path: "/tmp/e2b/tree/top.txt", size: 1 });
    expect(top.permissions).toMatch(/^-[r-][w-][x-][r-][w-][x-][r-][w-][x-]$/);
    expect(top.modifiedTime).toBeInstanceOf(Date);
    expect(Math.abs(top.modifiedTime!.getTime() - Date.now())).toBeLessThan(10 * 60_000);

    const two = await sbx.files.list("/tmp/e2b/tree", { depth: 2 });
    expect(two.map((e) => e.path).sort()).toEqual(["/tmp/e2b/tree/d1", "/tmp/e2b/tree/d1/d2", "/tmp/e2b/tree/d1/mid.txt", "/tmp/e2b/tree/top.txt"]);
    const three = await sbx.files.list("/tmp/e2b/tree", { depth: 3 });
    expect(three.map((e) => e.path)).toContain("/tmp/e2b/tree/d1/d2/deep.txt");
  });

  it("makes a directory (true), then again (false)", async () => {
    expect(await sbx.files.makeDir("/tmp/e2b/made/inner")).toBe(true);
    expect(await sbx.files.makeDir("/tmp/e2b/made/inner")).toBe(false);
    expect((await sbx.files.getInfo("/tmp/e2b/made/inner")).type).toBe(FileType.DIR);
  });

  it("renames, checks existence, gets info and removes", async () => {
    await sbx.files.write("/tmp/e2b/old-name.txt", "moving");
    const moved = await sbx.files.rename("/tmp/e2b/old-name.txt", "/tmp/e2b/new-name.txt");
    expect(moved).toMatchObject({ name: "new-name.txt", path: "/tmp/e2b/new-name.txt", type: FileType.FILE });
    expect(await sbx.files.exists("/tmp/e2b/old-name.txt")).toBe(false);
    expect(await sbx.files.exists("/tmp/e2b/new-name.txt")).toBe(true);

    const info = await sbx.files.getInfo("/tmp/e2b/new-name.txt");
    expect(info).toMatchObject({ name: "new-name.txt", size: 6, type: FileType.FILE });
    expect(info.owner).not.toBe("");
    expect(info.mode & 0o777).toBe(Number.parseInt(info.permissions.slice(1).replace(/[^-]/g, "1").replace(/-/g, "0"), 2));

    await sbx.files.remove("/tmp/e2b/new-name.txt");
    expect(await sbx.files.exists("/tmp/e2b/new-name.txt")).toBe(false);
  });

  it("reads a file that is still being appended to as it was when the read began, as E2B's envd does", async () => {
    const writer = await sbx.commands.run("while true; do echo tick >> /tmp/e2b/growing; sleep 0.005; done", { background: true });
    try {
      await eventually(() => true, () => null);
      for (let i = 0; i < 5; i += 1) {
        const text = await sbx.files.read("/tmp/e2b/growing");
        // Whole appends only: the length the stat saw, never a cut line or a dropped connection.
        expect(text.length % 5).toBe(0);
        expect(text.replaceAll("tick\n", "")).toBe("");
      }
    } finally {
      await writer.kill();
    }
  });

  it("reports an unknown path as FileNotFoundError", async () => {
    await expect(sbx.files.read("/tmp/e2b/no/such/file")).rejects.toBeInstanceOf(FileNotFoundError);
    await expect(sbx.files.getInfo("/tmp/e2b/no/such/file")).rejects.toBeInstanceOf(FileNotFoundError);
    await expect(sbx.files.list("/tmp/e2b/no/such/dir")).rejects.toBeInstanceOf(FileNotFoundError);
    await expect(sbx.files.remove("/tmp/e2b/no/such/file")).rejects.toBeInstanceOf(FileNotFoundError);
  });

  it("watches a directory: events for a write and a remove, recursively", async () => {
    await sbx.files.makeDir("/tmp/e2b/watched/sub");
    const events: FilesystemEvent[] = [];
    const handle = await sbx.files.watchDir("/tmp/e2b/watched", (e) => void events.push(e), { recursive: true });
    try {
      await sbx.files.write("/tmp/e2b/watched/sub/w.txt", "watch me");
      await eventually(() => events.some((e) => e.name === "sub/w.txt" && e.type === "write"), () => events);
      await sbx.files.remove("/tmp/e2b/watched/sub/w.txt");
      await eventually(() => events.some((e) => e.name === "sub/w.txt" && e.type === "remove"), () => events);
    } finally {
      await handle.stop();
    }
  });

  // The Python SDK polls: CreateWatcher, GetWatcherEvents, RemoveWatcher (the repo's .venv has e2b 2.63.0).
  it.skipIf(!existsSync(python))("watches with the Python SDK's polling watcher", () => {
    const script = [
      "import json, os, sys, time",
      "from e2b import Sandbox",
      "sbx = Sandbox.connect(sys.argv[1])",
      "sbx.files.make_dir('/tmp/e2b/polled')",
      "handle = sbx.files.watch_dir('/tmp/e2b/polled')",
      "sbx.files.write('/tmp/e2b/polled/p.txt', 'polled')",
      "sbx.files.remove('/tmp/e2b/polled/p.txt')",
      "seen = []",
      "for _ in range(100):",
      "    seen += [[e.name, e.type.value] for e in handle.get_new_events()]",
      "    if ['p.txt', 'remove'] in seen: break",
      "    time.sleep(0.1)",
      "handle.stop()",
      "try:",
      "    handle.get_new_events()",
      "    after_stop = 'events'",
      "except Exception as e:",
      "    after_stop = type(e).__name__",
      "print(json.dumps({'seen': seen, 'after_stop': after_stop}))",
    ].join("\n");
    const run = spawnSync(python, ["-c", script, sbx.sandboxId], { encoding: "utf8", timeout: 60_000, env: { ...process.env, ...ctx.env } });
    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout) as { seen: string[][]; after_stop: string };
    expect(out.seen).toContainEqual(["p.txt", "write"]);
    expect(out.seen).toContainEqual(["p.txt", "remove"]);
    expect(out.after_stop).toBe("SandboxException");
  });

  it("round-trips 20 MiB with an equal sha256", async () => {
    const data = randomBytes(20 * 1024 * 1024);
    await sbx.files.write("/tmp/e2b/big.bin", new Uint8Array(data).buffer);
    const back = await sbx.files.read("/tmp/e2b/big.bin", { format: "bytes" });
    expect(back.length).toBe(data.length);
    expect(sha256(back)).toBe(sha256(data));
    const inside = await sbx.commands.run("sha256sum /tmp/e2b/big.bin");
    expect(inside.stdout.split(" ")[0]).toBe(sha256(data));
  }, 120_000);

  it("keeps a polling watcher to the sandbox and credential that made it", async () => {
    const other = await Sandbox.create();
    try {
      const call = (sandbox: Sandbox, method: string, body: unknown, token = tokenOf(sandbox)) =>
        fetch(`${ctx.env.E2B_SANDBOX_URL}/filesystem.Filesystem/${method}`, {
          method: "POST",
          headers: { "content-type": "application/json", "connect-protocol-version": "1", "e2b-sandbox-id": sandbox.sandboxId, "x-access-token": token },
          body: JSON.stringify(body),
        });
      await sbx.files.makeDir("/tmp/e2b/owned");
      const created = await call(sbx, "CreateWatcher", { path: "/tmp/e2b/owned" });
      expect(created.status).toBe(200);
      const { watcherId } = (await created.json()) as { watcherId: string };
      expect(watcherId).toBeTruthy();

      // Another sandbox (its own valid token) cannot read or remove it.
      const foreign = await call(other, "GetWatcherEvents", { watcherId });
      expect(foreign.status).toBe(404);
      expect(await foreign.json()).toMatchObject({ code: "not_found" });
      expect((await call(other, "RemoveWatcher", { watcherId })).status).toBe(404);
      // The other sandbox's token naming this sandbox is refused by the public API itself.
      expect((await call(sbx, "GetWatcherEvents", { watcherId }, tokenOf(other))).status).not.toBe(200);

      await sbx.files.write("/tmp/e2b/owned/o.txt", "o");
      let events: { name: string; type: string }[] = [];
      // Polled as the Python SDK does.
      for (let i = 0; i < 50 && !events.some((e) => e.type === "EVENT_TYPE_WRITE"); i++) {
        const polled = (await (await call(sbx, "GetWatcherEvents", { watcherId })).json()) as { events?: { name: string; type: string }[] };
        events = [...events, ...(polled.events ?? [])];
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(events).toContainEqual({ name: "o.txt", type: "EVENT_TYPE_WRITE" });
      expect((await call(sbx, "RemoveWatcher", { watcherId })).status).toBe(200);
      expect((await call(sbx, "GetWatcherEvents", { watcherId })).status).toBe(404);
    } finally {
      await other.kill().catch(() => undefined);
    }
  });

  // 512 MiB streamed by the SDK (octet-stream up, a ReadableStream down): the controlplane's peak RSS grows by far less than the file.
  it.skipIf(statfsSync(tmpdir()).bavail * statfsSync(tmpdir()).bsize < 2 * bigBytes)("streams 512 MiB through the face while the controlplane holds a few MiB", async () => {
    const pid = ctx.stack.services.controlplane.pid!;
    const sent = createHash("sha256");
    const block = randomBytes(1024 * 1024);
    let index = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (index * block.length >= bigBytes) return controller.close();
        const chunk = Buffer.from(block);
        chunk.writeUInt32BE(index++, 0);
        sent.update(chunk);
        controller.enqueue(chunk);
      },
    });
    // Warm: the first streamed upload loads and compiles its code path; that is not the transfer's.
    await sbx.files.write("/tmp/e2b/warm.bin", new Blob([block]).stream());
    resetPeak(pid);
    const before = statusField(pid, "VmRSS");
    await sbx.files.write("/tmp/e2b/huge.bin", source);
    const uploadGrowth = statusField(pid, "VmHWM") - before;

    resetPeak(pid);
    const beforeDown = statusField(pid, "VmRSS");
    const got = createHash("sha256");
    let gotBytes = 0;
    for await (const chunk of (await sbx.files.read("/tmp/e2b/huge.bin", { format: "stream" })) as unknown as AsyncIterable<Uint8Array>) {
      got.update(chunk);
      gotBytes += chunk.length;
    }
    const downloadGrowth = statusField(pid, "VmHWM") - beforeDown;
    expect(gotBytes).toBe(bigBytes);
    expect(got.digest("hex")).toBe(sent.digest("hex"));
    const mib = (n: number) => (n / 1024 ** 2).toFixed(1);
    console.log(`controlplane RSS growth through the E2B face: upload ${mib(uploadGrowth)} MiB, download ${mib(downloadGrowth)} MiB`);
    expect(uploadGrowth).toBeLessThan(64 * 1024 ** 2);
    expect(downloadGrowth).toBeLessThan(64 * 1024 ** 2);
    await sbx.files.remove("/tmp/e2b/huge.bin");
  }, 300_000);

  it("answers bad input with a status, and the face keeps serving", async () => {
    const base = ctx.env.E2B_SANDBOX_URL!;
    const headers = { "e2b-sandbox-id": sbx.sandboxId, "x-access-token": tokenOf(sbx) };
    const broken = await fetch(`${base}/files?path=/tmp/e2b/broken`, {
      method: "POST",
      headers: { ...headers, "content-type": "multipart/form-data; boundary=xyz" },
      body: "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"/tmp/e2b/broken\"\r\n\r\nno end",
    });
    expect(broken.status).toBe(400);
    const notGzip = await fetch(`${base}/files?path=/tmp/e2b/notgz`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/octet-stream", "content-encoding": "gzip" },
      body: "plainly not gzip",
    });
    expect(notGzip.status).toBe(400);
    const twice = await fetch(`${base}/files?path=/a&path=/b`, { headers });
    expect(twice.status).toBe(400);
    const dir = await fetch(`${base}/files?path=/tmp`, { headers });
    expect(dir.status).toBe(400);
    // A depth far past any tree is capped, not an error.
    expect((await sbx.files.list("/tmp/e2b/tree", { depth: 4_294_967_295 })).length).toBeGreaterThan(3);
    expect(await sbx.files.read("/tmp/e2b/hello.txt")).toBe("hello from e2b\n");
  });

  it("answers the SDK's plain routes with envd's statuses", async () => {
    const base = ctx.env.E2B_SANDBOX_URL!;
    const headers = { "e2b-sandbox-id": sbx.sandboxId, "x-access-token": tokenOf(sbx) };
    expect((await fetch(`${base}/health`, { headers })).status).toBe(204);
    const noPath = await fetch(`${base}/files`, { headers });
    expect(noPath.status).toBe(400);
    expect(await noPath.json()).toMatchObject({ code: 400 });
    const noToken = await fetch(`${base}/files?path=/tmp/e2b/hello.txt`, { headers: { "e2b-sandbox-id": sbx.sandboxId } });
    expect(noToken.status).toBe(401);
    const wrongBody = await fetch(`${base}/files?path=/tmp/x`, { method: "POST", headers: { ...headers, "content-type": "text/plain" }, body: "x" });
    expect(wrongBody.status).toBe(400);
  });
});
