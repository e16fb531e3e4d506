import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { Client, credentials, Metadata as GrpcMetadata, status as grpcStatus } from "@grpc/grpc-js";
import { Status } from "nice-grpc";
import { StartRequest } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { exec, forSandbox, leftoversOf, newSandboxId, startAgent, type AgentProcess } from "./harness.js";
import { sandboxIdMetadataKey } from "@wrenn/shared";

let agent: AgentProcess;

beforeAll(async () => {
  agent = await startAgent();
});

afterAll(async () => {
  await agent?.stop();
});

async function createSandbox(envs: Record<string, string> = {}): Promise<string> {
  const sandboxId = newSandboxId();
  await agent.sandboxes.createSandbox({ sandboxId, templateId: "base", envs });
  return sandboxId;
}

describe("a sandbox's life through the host agent", () => {
  it("runs a command, writes and reads a file through the relay, and destroy leaves nothing behind", async () => {
    const sandboxId = await createSandbox({ GREETING: "hi there" });
    const listed = await agent.sandboxes.listSandboxes({});
    expect(listed.sandboxes.map((s) => s.sandboxId)).toContain(sandboxId);

    const echo = await exec(agent, sandboxId, "echo", ["hello"]);
    expect(echo.stdout).toBe("hello\n");
    expect(echo.exitCode).toBe(0);
    const env = await exec(agent, sandboxId, "sh", ["-c", "echo $GREETING; exit 3"]);
    expect(env.stdout).toBe("hi there\n");
    expect(env.exitCode).toBe(3);

    // WriteFile is client-streaming: path in the first message, data in several.
    const content = Buffer.from("line one\n".repeat(10_000));
    async function* chunks() {
      yield { path: "/root/notes.txt", data: content.subarray(0, 1000) };
      for (let at = 1000; at < content.length; at += 16_384) {
        yield { path: "", data: content.subarray(at, at + 16_384) };
      }
    }
    const written = await agent.files.writeFile(chunks(), forSandbox(sandboxId));
    expect(written.entry?.path).toBe("/root/notes.txt");
    const read: Buffer[] = [];
    for await (const part of agent.files.readFile({ path: "/root/notes.txt" }, forSandbox(sandboxId))) {
      read.push(Buffer.from(part.data));
    }
    expect(Buffer.concat(read).equals(content)).toBe(true);
    // The write landed in the sandbox's overlay upper layer, not in the template.
    const upper = join(agent.dataDir, "sandboxes", sandboxId, "upper", "root", "notes.txt");
    expect((await readFile(upper)).length).toBe(content.length);
    await expect(access(join(agent.dataDir, "templates", "base", "rootfs", "root", "notes.txt"))).rejects.toThrow();

    await agent.sandboxes.destroySandbox({ sandboxId });
    expect(await leftoversOf(agent.dataDir, sandboxId)).toEqual({ dir: false, mounts: [], processes: [] });
    const after = await agent.sandboxes.listSandboxes({});
    expect(after.sandboxes.map((s) => s.sandboxId)).not.toContain(sandboxId);
    await expect(exec(agent, sandboxId, "true")).rejects.toMatchObject({ code: Status.NOT_FOUND });
  });

  it("isolates the sandbox from the host: own hostname, no /work, no host /root, no data dir, no shadow", async () => {
    const sandboxId = await createSandbox();
    try {
      expect((await exec(agent, sandboxId, "hostname")).stdout.trim()).toBe(sandboxId);
      expect((await exec(agent, sandboxId, "cat", ["/etc/hostname"])).stdout.trim()).toBe(sandboxId);
      expect((await exec(agent, sandboxId, "ls", ["/work"])).exitCode).not.toBe(0);
      expect((await exec(agent, sandboxId, "ls", [agent.dataDir])).exitCode).not.toBe(0);
      expect((await exec(agent, sandboxId, "ls", ["/var/lib/wrenn"])).exitCode).not.toBe(0);
      expect((await exec(agent, sandboxId, "cat", ["/etc/shadow"])).exitCode).not.toBe(0);
      // The host's /root has content (this repo's tooling lives there); the sandbox's is empty.
      expect((await exec(agent, sandboxId, "ls", ["-A", "/root"])).stdout).toBe("");
      // Only loopback in the network namespace.
      const net = await exec(agent, sandboxId, "cat", ["/proc/net/dev"]);
      const interfaces = net.stdout.split("\n").slice(2).filter(Boolean).map((l) => l.split(":")[0].trim());
      expect(interfaces).toEqual(["lo"]);
      // /usr is read-only, the rest of the root writable through the overlay.
      expect((await exec(agent, sandboxId, "touch", ["/usr/bin/wrenn-test"])).exitCode).not.toBe(0);
      expect((await exec(agent, sandboxId, "sh", ["-c", "echo x > /tmp/x && echo y > /home/y && cat /tmp/x /home/y"])).stdout).toBe("x\ny\n");
      // envd is PID 1's child and the bundle is mounted read-only.
      expect((await exec(agent, sandboxId, "cat", ["/proc/2/cmdline"])).stdout).toContain("/opt/wrenn/envd.mjs");
      expect((await exec(agent, sandboxId, "sh", ["-c", "echo > /opt/wrenn/envd.mjs"])).exitCode).not.toBe(0);
    } finally {
      await agent.sandboxes.destroySandbox({ sandboxId });
    }
  });

  it("keeps two sandboxes apart: neither sees the other's files or processes", async () => {
    const [a, b] = await Promise.all([createSandbox(), createSandbox()]);
    try {
      await exec(agent, a, "sh", ["-c", "echo secret > /tmp/only-in-a"]);
      expect((await exec(agent, a, "cat", ["/tmp/only-in-a"])).stdout).toBe("secret\n");
      expect((await exec(agent, b, "cat", ["/tmp/only-in-a"])).exitCode).not.toBe(0);

      // Keep a distinctive process running in A while B looks for it.
      const controller = new AbortController();
      const stream = agent.process.start(
        { process: { cmd: "sleep", args: ["4242"], envs: {} }, timeoutMs: 0 },
        { ...forSandbox(a), signal: controller.signal },
      );
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.event?.start?.pid).toBeGreaterThan(0);
      try {
        const psA = await exec(agent, a, "ps", ["-eo", "args"]);
        const psB = await exec(agent, b, "ps", ["-eo", "args"]);
        expect(psA.stdout).toContain("sleep 4242");
        expect(psB.stdout).not.toContain("sleep 4242");
      } finally {
        controller.abort();
        await iterator.next().catch(() => undefined);
      }
    } finally {
      await Promise.all([a, b].map((sandboxId) => agent.sandboxes.destroySandbox({ sandboxId })));
    }
  });

  it("relays a 20 MB output stream complete and in order", async () => {
    const sandboxId = await createSandbox();
    try {
      const size = 20 * 1024 * 1024;
      const result = await exec(agent, sandboxId, "sh", ["-c", `yes 0123456789abcdef | head -c ${size}`]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout.length).toBe(size);
      const expected = "0123456789abcdef\n".repeat(Math.ceil(size / 17)).slice(0, size);
      const hash = (s: string) => createHash("sha256").update(s).digest("hex");
      expect(hash(result.stdout)).toBe(hash(expected));
    } finally {
      await agent.sandboxes.destroySandbox({ sandboxId });
    }
  });

  it("carries cancellation and the caller's deadline through the relay to the process in the sandbox", async () => {
    const sandboxId = await createSandbox();
    const running = async (marker: string) => (await exec(agent, sandboxId, "ps", ["-eo", "args"])).stdout.includes(marker);
    const waitGone = async (marker: string) => {
      for (let i = 0; i < 50 && (await running(marker)); i++) await sleep(100);
      return !(await running(marker));
    };
    try {
      // Cancel: the caller aborts after the start event; envd kills the process.
      const controller = new AbortController();
      const iterator = agent.process
        .start({ process: { cmd: "sleep", args: ["4343"], envs: {} }, timeoutMs: 0 }, { ...forSandbox(sandboxId), signal: controller.signal })
        [Symbol.asyncIterator]();
      expect((await iterator.next()).value?.event?.start?.pid).toBeGreaterThan(0);
      expect(await running("sleep 4343")).toBe(true);
      controller.abort();
      await iterator.next().catch(() => undefined);
      expect(await waitGone("sleep 4343")).toBe(true);

      // Deadline: a raw grpc-js call with a 700 ms deadline ends DEADLINE_EXCEEDED and the process goes too.
      const raw = new Client(agent.address, credentials.createInsecure());
      try {
        const metadata = new GrpcMetadata();
        metadata.set(sandboxIdMetadataKey, sandboxId);
        const request = Buffer.from(StartRequest.encode(StartRequest.fromPartial({ process: { cmd: "sleep", args: ["4444"], envs: {} }, timeoutMs: 0 })).finish());
        const call = raw.makeServerStreamRequest("/wrenn.envd.v1.ProcessService/Start", (b: Buffer) => b, (b: Buffer) => b, request, metadata, {
          deadline: Date.now() + 700,
        });
        const code = await new Promise<number>((resolve) => {
          call.on("data", () => {});
          call.on("error", (err: { code: number }) => resolve(err.code));
          call.on("end", () => resolve(grpcStatus.OK));
        });
        expect(code).toBe(grpcStatus.DEADLINE_EXCEEDED);
      } finally {
        raw.close();
      }
      expect(await waitGone("sleep 4444")).toBe(true);
    } finally {
      await agent.sandboxes.destroySandbox({ sandboxId });
    }
  });
});
