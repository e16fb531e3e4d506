import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildRequests, chunkBytes, uploadReporter } from "../src/upload.js";
import { resolveConnection } from "../src/connection.js";
import { templateTable } from "../src/template-table.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "wrenn-cli-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const spec = { name: "x", recipe: "RUN true", vcpus: 0, memoryMib: 0, diskMib: 0, platform: false, stepTimeoutSeconds: 0 };

describe("buildRequests", () => {
  it("sends the spec first, then the archive in 1 MiB chunks, in order, reporting progress", async () => {
    const data = Buffer.alloc(2 * chunkBytes + 5);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const file = join(tmp(), "a.tar");
    writeFileSync(file, data);
    const progress: number[] = [];
    const messages = [];
    for await (const m of buildRequests(spec, file, (n) => progress.push(n))) messages.push(m);
    expect(messages[0]).toEqual({ spec });
    const chunks = messages.slice(1).map((m) => m.archiveChunk!);
    expect(chunks.map((c) => c.length)).toEqual([chunkBytes, chunkBytes, 5]);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(progress).toEqual([chunkBytes, 2 * chunkBytes, 2 * chunkBytes + 5]);
  });

  it("sends only the spec without an archive", async () => {
    const messages = [];
    for await (const m of buildRequests(spec, undefined)) messages.push(m);
    expect(messages).toEqual([{ spec }]);
  });

  it("reports upload progress as plain lines off a terminal", () => {
    let text = "";
    const report = uploadReporter({ write: (t) => void (text += t), isTTY: false }, 3 * 1024 * 1024);
    report(1024 * 1024);
    report(3 * 1024 * 1024);
    expect(text).toBe("Uploading archive (3.0 MiB)…\nUploaded 3.0 MiB\n");
  });
});

describe("resolveConnection", () => {
  it("takes the environment first, else the key file ./wrenn up wrote", () => {
    expect(resolveConnection({ WRENN_API_ADDR: "h:1", WRENN_API_KEY: "wrn_k" }, "/nowhere")).toEqual({ address: "h:1", apiKey: "wrn_k" });
    const root = tmp();
    const data = join(root, ".wrenn");
    rmSync(data, { recursive: true, force: true });
    writeFileSync(join(root, "key"), "");
    expect(() => resolveConnection({}, root)).toThrow(/no API key: set WRENN_API_KEY/);
    writeFileSync(join(root, "api-key"), "wrn_file\n");
    expect(resolveConnection({ WRENN_DATA_DIR: root }, "/nowhere")).toEqual({ address: "127.0.0.1:50051", apiKey: "wrn_file" });
  });
});

describe("templateTable", () => {
  it("lines up one template a row", () => {
    const table = templateTable([
      {
        templateId: "tpl-" + "0".repeat(32),
        name: "base",
        tag: "small",
        platform: true,
        resources: { vcpus: 1, memoryMib: 1024, diskMib: 2048 },
        defaultUser: "wrenn-user",
        createdAt: new Date("2026-12-02T12:00:00.123Z"),
      } as never,
    ]);
    expect(table.split("\n")[0]).toMatch(/^NAME\s+ID\s+OWNER\s+VCPUS\s+MEMORY\s+DISK\s+USER\s+CREATED$/);
    expect(table.split("\n")[1]).toMatch(/^base:small\s+tpl-0{32}\s+platform\s+1\s+1024 MiB\s+2048 MiB\s+wrenn-user\s+2026-12-02T12:00:00Z$/);
    expect(templateTable([])).toBe("No templates.\n");
  });
});
