import { beforeAll, describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileType, StatRequestSchema, StatResponseSchema } from "@wrenn/gen/e2b/filesystem/filesystem_pb.js";
import { StartRequestSchema, StartResponseSchema } from "@wrenn/gen/e2b/process/process_pb.js";
import { useStackWithSandbox } from "../harness/stack-with-sandbox.js";

// The E2B envd face with Connect's binary codec (application/proto and
// application/connect+proto), which the SDKs can switch to: the same calls
// the JSON tests make, decoded with the SDKs' own message definitions.
const ctx = useStackWithSandbox();
let headers: Record<string, string>;

beforeAll(async () => {
  const { sandbox } = await ctx.client.sandboxes.getSandbox({ sandboxId: ctx.sandboxId });
  headers = { "connect-protocol-version": "1", "x-access-token": sandbox!.accessToken, "e2b-sandbox-id": ctx.sandboxId.replace("-", "") };
});

/** Connect's streaming envelopes: a flag byte, a 4-byte big-endian length, the message. */
function envelope(flags: number, message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function envelopes(body: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push({ flags: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

describe("E2B envd face, binary codec", () => {
  it("answers a unary call in application/proto", async () => {
    const res = await fetch(`${ctx.stack.httpUrl}/filesystem.Filesystem/Stat`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/proto" },
      body: toBinary(StatRequestSchema, create(StatRequestSchema, { path: "/tmp" })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/proto");
    const { entry } = fromBinary(StatResponseSchema, new Uint8Array(await res.arrayBuffer()));
    expect({ name: entry?.name, path: entry?.path, type: entry?.type }).toEqual({ name: "tmp", path: "/tmp", type: FileType.DIRECTORY });
  });

  it("streams a process in application/connect+proto: start, stdout, end, then a clean end of stream", async () => {
    const request = create(StartRequestSchema, { process: { cmd: "/bin/bash", args: ["-l", "-c", "echo binary-codec; exit 4"], envs: {} } });
    const res = await fetch(`${ctx.stack.httpUrl}/process.Process/Start`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/connect+proto" },
      body: envelope(0, toBinary(StartRequestSchema, request)),
    });
    expect(res.status).toBe(200);
    const frames = envelopes(Buffer.from(await res.arrayBuffer()));
    const last = frames.pop()!;
    expect(last.flags).toBe(2);
    expect(JSON.parse(last.data.toString())).toEqual({});
    const events = frames.map((frame) => fromBinary(StartResponseSchema, frame.data).event?.event);
    expect(events[0]?.case).toBe("start");
    const stdout = events.flatMap((e) => (e?.case === "data" && e.value.output.case === "stdout" ? [Buffer.from(e.value.output.value).toString()] : [])).join("");
    expect(stdout).toBe("binary-codec\n");
    const end = events.at(-1);
    expect(end?.case).toBe("end");
    expect(end?.case === "end" ? { exitCode: end.value.exitCode, exited: end.value.exited } : undefined).toEqual({ exitCode: 4, exited: true });
  });
});
