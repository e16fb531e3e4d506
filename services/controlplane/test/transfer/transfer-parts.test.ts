import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { contentDisposition, contentType } from "../../src/transfer/content-type.js";
import { frameBytes, frames, requestBody } from "../../src/transfer/body-frames.js";
import { transferQuery } from "../../src/transfer/transfer-request.js";

async function collect(source: Readable): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const frame of frames(source)) out.push(Buffer.from(frame));
  return out;
}

function asRequest(body: Buffer, headers: Record<string, string>): IncomingMessage {
  return Object.assign(Readable.from([body]), { headers }) as unknown as IncomingMessage;
}

describe("download headers", () => {
  it("names a type by extension, else octet-stream", () => {
    expect(contentType("/home/u/notes.TXT")).toBe("text/plain; charset=utf-8");
    expect(contentType("/data/photo.png")).toBe("image/png");
    expect(contentType("/bin/ls")).toBe("application/octet-stream");
    expect(contentType("/tmp/.hidden")).toBe("application/octet-stream");
  });

  it("offers the base name as an attachment, with hostile names kept out of the header's syntax", () => {
    expect(contentDisposition("/tmp/report.pdf")).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    const tricky = contentDisposition('/tmp/a"b\\c;\r\nset-cookie: x=1 ü.txt');
    expect(tricky).not.toMatch(/[\r\n]/);
    expect(tricky).toContain(`filename="a_b_c;__set-cookie: x=1 _.txt"`);
    expect(tricky).toContain("filename*=UTF-8''a%22b%5Cc%3B%0D%0Aset-cookie%3A%20x%3D1%20%C3%BC.txt");
  });
});

describe("upload framing", () => {
  it("regroups any chunking into whole frames without losing or reordering a byte", async () => {
    const data = Buffer.from(Array.from({ length: frameBytes * 3 + 123 }, (_, i) => (i * 7) % 251));
    const pieces = [data.subarray(0, 10), data.subarray(10, frameBytes + 5), data.subarray(frameBytes + 5)];
    const out = await collect(Readable.from(pieces));
    expect(out.map((f) => f.length)).toEqual([frameBytes, frameBytes, frameBytes, 123]);
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });

  it("yields nothing for an empty body", async () => {
    expect(await collect(Readable.from([]))).toEqual([]);
  });

  it("inflates a gzip body and refuses a broken one as the caller's fault", async () => {
    const text = Buffer.from("hello ".repeat(50_000));
    const inflated = await collect(requestBody(asRequest(gzipSync(text), { "content-encoding": "gzip" })));
    expect(Buffer.concat(inflated).equals(text)).toBe(true);
    await expect(collect(requestBody(asRequest(Buffer.from("plain"), { "content-encoding": "gzip" })))).rejects.toMatchObject({ httpStatus: 400 });
    expect(() => requestBody(asRequest(Buffer.from("x"), { "content-encoding": "br" }))).toThrow(expect.objectContaining({ httpStatus: 415 }));
  });
});

describe("query", () => {
  it("reads path and user, and refuses a repeated one", () => {
    expect(transferQuery("path=%2Ftmp%2Fa%20b&user=root")).toEqual({ path: "/tmp/a b", user: "root" });
    expect(transferQuery("")).toEqual({});
    expect(() => transferQuery("path=/a&path=/b")).toThrow(/at most once/);
  });
});
