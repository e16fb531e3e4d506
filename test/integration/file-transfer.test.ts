import { createHash, randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { toWireId } from "@wrenn/shared";
import { keyHeaders } from "../harness/api-key.js";
import { signUpTeamWithKey } from "../harness/signed-up-team.js";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";

// Plain-HTTP upload and download (POST/GET /v1/sandboxes/{id}/files) on a
// real stack, as curl and browsers use them: raw and multipart bodies, gzip,
// file owners, content headers, and the refusals (no key, another team).
const ctx = useStackWithSandbox();
let otherTeamKey: string;

beforeAll(async () => {
  otherTeamKey = (await signUpTeamWithKey(ctx.stack.httpUrl, "files-other")).apiKey;
});

const filesUrl = (sandboxId: string, params: Record<string, string>) => `${ctx.stack.httpUrl}/v1/sandboxes/${sandboxId}/files?${new URLSearchParams(params)}`;

/** Runs a command in the sandbox through the API; its stdout. */
async function run(cmd: string, ...args: string[]): Promise<string> {
  let stdout = "";
  for await (const { event } of ctx.client.processes.startProcess({ sandboxId: ctx.sandboxId, start: { process: { cmd, args, envs: {} } } })) {
    if (event?.data?.stdout) stdout += Buffer.from(event.data.stdout).toString();
    if (event?.end && event.end.exitCode !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${event.end.exitCode}`);
  }
  return stdout;
}

async function upload(params: Record<string, string>, body: string | Uint8Array | FormData, headers: Record<string, string> = {}, key = ctx.stack.apiKey) {
  const res = await fetch(filesUrl(ctx.sandboxId, params), { method: "POST", headers: { authorization: `Bearer ${key}`, ...headers }, body });
  return { status: res.status, body: (await res.json()) as any };
}

describe("HTTP file transfer", () => {
  it("uploads a raw body and downloads it with its length, type and name", async () => {
    const text = `hello ${randomUUID()}\n`;
    const up = await upload({ path: "/tmp/raw/hello.txt" }, text, { "content-type": "application/octet-stream" });
    expect(up.status).toBe(200);
    expect(up.body.entries).toHaveLength(1);
    expect(up.body.entries[0]).toMatchObject({ path: "/tmp/raw/hello.txt", type: "FILE_TYPE_FILE", size: String(text.length) });
    expect(await run("cat", "/tmp/raw/hello.txt")).toBe(text);

    const down = await fetch(filesUrl(ctx.sandboxId, { path: "/tmp/raw/hello.txt" }), { headers: keyHeaders(ctx.stack) });
    expect(down.status).toBe(200);
    expect(down.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(down.headers.get("content-length")).toBe(String(text.length));
    expect(down.headers.get("content-disposition")).toContain('filename="hello.txt"');
    expect(await down.text()).toBe(text);
  });

  it("downloads binary and empty files as octet-stream, byte for byte", async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    expect((await upload({ path: "/tmp/raw/blob.bin" }, bytes, { "content-type": "application/octet-stream" })).status).toBe(200);
    const down = await fetch(filesUrl(ctx.sandboxId, { path: "/tmp/raw/blob.bin" }), { headers: keyHeaders(ctx.stack) });
    expect(down.headers.get("content-type")).toBe("application/octet-stream");
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);

    expect((await upload({ path: "/tmp/raw/empty" }, new Uint8Array(0), { "content-type": "application/octet-stream" })).body.entries[0].size).toBe("0");
    const empty = await fetch(filesUrl(ctx.sandboxId, { path: "/tmp/raw/empty" }), { headers: keyHeaders(ctx.stack) });
    expect(empty.status).toBe(200);
    expect(empty.headers.get("content-length")).toBe("0");
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  });

  it("inflates gzip bodies while they stream, raw and multipart", async () => {
    const text = "squeezed ".repeat(100_000);
    const raw = await upload({ path: "/tmp/gz/raw.txt" }, gzipSync(text), { "content-type": "application/octet-stream", "content-encoding": "gzip" });
    expect(raw.status).toBe(200);
    expect(raw.body.entries[0].size).toBe(String(text.length));
    expect(await run("sha256sum", "/tmp/gz/raw.txt")).toContain(sha256(text));

    const form = new FormData();
    form.append("file", new Blob(["one\n"]), "one.txt");
    // One encoding of the form: each Response picks a boundary of its own.
    const encodedForm = new Response(form);
    const type = encodedForm.headers.get("content-type")!;
    const encoded = Buffer.from(await encodedForm.arrayBuffer());
    const multi = await upload({ path: "/tmp/gz" }, gzipSync(encoded), { "content-type": type, "content-encoding": "gzip" });
    expect(multi.status).toBe(200);
    expect(await run("cat", "/tmp/gz/one.txt")).toBe("one\n");

    const broken = await upload({ path: "/tmp/gz/broken" }, "not gzip at all", { "content-type": "application/octet-stream", "content-encoding": "gzip" });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toContain("gzip");
  });

  it("writes several multipart files where their filenames say", async () => {
    const form = new FormData();
    form.append("a", new Blob(["absolute\n"]), "/tmp/multi/abs/a.txt");
    form.append("b", new Blob(["relative\n"]), "nested/dir/b.txt");
    form.append("c", new Blob([randomBytes(2 * 1024 * 1024 + 5)]), "c.bin");
    // The namespace runtime maps one user (the sandbox's own); other owners are tested on microVMs (file-transfer-owners).
    const up = await upload({ path: "/tmp/multi/base", user: "root" }, form);
    expect(up.status).toBe(200);
    expect(up.body.entries.map((e: any) => [e.path, e.owner])).toEqual([
      ["/tmp/multi/abs/a.txt", "root"],
      ["/tmp/multi/base/nested/dir/b.txt", "root"],
      ["/tmp/multi/base/c.bin", "root"],
    ]);
    expect(await run("stat", "-c", "%U %s", "/tmp/multi/abs/a.txt", "/tmp/multi/base/nested/dir/b.txt", "/tmp/multi/base/c.bin")).toBe(
      `root 9\nroot 9\nroot ${2 * 1024 * 1024 + 5}\n`,
    );
    expect(await run("cat", "/tmp/multi/base/nested/dir/b.txt")).toBe("relative\n");
  });

  it("leaves no file behind when the client cuts an upload midway", async () => {
    const req = request(filesUrl(ctx.sandboxId, { path: "/tmp/cut/partial.bin" }), {
      method: "POST",
      headers: keyHeaders(ctx.stack, { "content-type": "application/octet-stream", "content-length": String(64 * 1024 * 1024) }),
    });
    req.on("error", () => undefined);
    req.write(randomBytes(4 * 1024 * 1024));
    // Once the first bytes are in the sandbox (the directory exists), cut the connection.
    await expect.poll(() => run("sh", "-c", "test -d /tmp/cut && echo yes"), { timeout: 30_000 }).toBe("yes\n");
    req.destroy();
    await expect.poll(() => run("sh", "-c", "ls -A /tmp/cut"), { timeout: 30_000, message: "files left in /tmp/cut" }).toBe("");
  });

  it("refuses malformed requests with the gateway's JSON errors", async () => {
    expect((await upload({}, "x", { "content-type": "application/octet-stream" })).status).toBe(400);
    expect((await upload({ path: "/tmp/x" }, "x", { "content-type": "text/plain" })).status).toBe(415);
    expect((await upload({ path: "/tmp/x" }, "x", { "content-type": "application/octet-stream", "content-encoding": "br" })).status).toBe(415);
    const fieldOnly = new FormData();
    fieldOnly.append("name", "value");
    expect((await upload({ path: "/tmp" }, fieldOnly)).status).toBe(400);

    const missing = await fetch(filesUrl(ctx.sandboxId, { path: "/tmp/no-such-file" }), { headers: keyHeaders(ctx.stack) });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).code).toBe("NOT_FOUND");
    const dir = await fetch(filesUrl(ctx.sandboxId, { path: "/tmp" }), { headers: keyHeaders(ctx.stack) });
    expect(dir.status).toBe(400);
  });

  it("answers 401 without a key, before reading the body", async () => {
    const up = await fetch(filesUrl(ctx.sandboxId, { path: "/tmp/anon" }), { method: "POST", headers: { "content-type": "application/octet-stream" }, body: randomBytes(1024 * 1024) });
    expect(up.status).toBe(401);
    expect(((await up.json()) as any).code).toBe("UNAUTHENTICATED");
    const down = await fetch(filesUrl(ctx.sandboxId, { path: "/tmp/raw/hello.txt" }));
    expect(down.status).toBe(401);
    await expect(run("test", "!", "-e", "/tmp/anon")).resolves.toBe("");
  });

  it("answers another team's sandbox exactly like an unknown one (404), both ways", async () => {
    const unknown = toWireId("sb", randomUUID());
    const headers = { authorization: `Bearer ${otherTeamKey}`, "content-type": "application/octet-stream" };
    const answers = [];
    for (const id of [ctx.sandboxId, unknown]) {
      const up = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${id}/files?path=/tmp/theirs`, { method: "POST", headers, body: "intruder" });
      const down = await fetch(`${ctx.stack.httpUrl}/v1/sandboxes/${id}/files?path=/tmp/raw/hello.txt`, { headers });
      answers.push([up.status, (await up.text()).replace(id, "ID"), down.status, (await down.text()).replace(id, "ID")]);
    }
    expect(answers[0]![0]).toBe(404);
    expect(answers[0]![2]).toBe(404);
    expect(answers[0]).toEqual(answers[1]);
    await expect(run("test", "!", "-e", "/tmp/theirs")).resolves.toBe("");
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
