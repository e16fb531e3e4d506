import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWrennClient, type WrennClient } from "@wrenn/client";
import { startStack, type Stack } from "@wrenn/devstack";

// Uploads owned by the user they name, on a microVM (the namespace runtime
// maps one user only, so only a guest has several): multipart files as
// wrenn-user, a raw file as root, and wrenn-user refused root's directory.
let stack: Stack;
let client: WrennClient;
let sandboxId: string;

beforeAll(async () => {
  stack = await startStack({
    runtime: "qemu",
    sandboxNetwork: "netns",
    // A prefix and pool of its own, apart from any other agent on this machine.
    hostagentEnv: { WRENN_NETWORK_PREFIX: "wft", WRENN_NETWORK_POOL: "10.251.0.0/16" },
    hostagentStartTimeoutMs: 15 * 60_000,
  });
  client = createWrennClient(stack.grpcAddress, { apiKey: stack.apiKey });
  sandboxId = (await client.sandboxes.createSandbox({ templateId: "base", waitReady: true })).sandbox!.sandboxId;
}, 16 * 60_000);

afterAll(async () => {
  if (sandboxId) await client.sandboxes.destroySandbox({ sandboxId, wait: true }).catch(() => undefined);
  client?.close();
  await stack?.close();
});

async function upload(params: Record<string, string>, body: string | FormData, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.httpUrl}/v1/sandboxes/${sandboxId}/files?${new URLSearchParams(params)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.apiKey}`, ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { entries: { path: string; owner: string }[] } };
}

async function owners(...paths: string[]): Promise<string> {
  let stdout = "";
  for await (const { event } of client.processes.startProcess({ sandboxId, start: { process: { cmd: "stat", args: ["-c", "%U %n", ...paths], envs: {} } } })) {
    if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
  }
  return stdout;
}

describe("uploads on a microVM", () => {
  it("belong to the user the request names", async () => {
    const form = new FormData();
    form.append("a", new Blob(["a\n"]), "a.txt");
    form.append("b", new Blob(["b\n"]), "sub/b.txt");
    const multi = await upload({ path: "/tmp/owned", user: "wrenn-user" }, form);
    expect(multi.status).toBe(200);
    expect(multi.body.entries.map((e) => [e.path, e.owner])).toEqual([
      ["/tmp/owned/a.txt", "wrenn-user"],
      ["/tmp/owned/sub/b.txt", "wrenn-user"],
    ]);
    const raw = await upload({ path: "/tmp/owned/root.txt", user: "root" }, "r\n", { "content-type": "application/octet-stream" });
    expect(raw.body.entries[0]!.owner).toBe("root");
    expect(await owners("/tmp/owned/a.txt", "/tmp/owned/sub/b.txt", "/tmp/owned/root.txt")).toBe(
      "wrenn-user /tmp/owned/a.txt\nwrenn-user /tmp/owned/sub/b.txt\nroot /tmp/owned/root.txt\n",
    );

    const denied = await upload({ path: "/root/not-yours.txt", user: "wrenn-user" }, "x", { "content-type": "application/octet-stream" });
    expect(denied.status).toBe(403);
  });
});
