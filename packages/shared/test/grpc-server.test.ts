import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, createChannel, createClient, Status, type Channel } from "nice-grpc";
import pino from "pino";
import { createGrpcServer, type WrennGrpcServer } from "../src/grpc-server.js";
import { ServerError } from "../src/errors.js";
import { maxStatusMessageBytes } from "../src/safe-text.js";

/** A raw-bytes service: the request text says how the handler fails. */
const identity = (b: Buffer) => b;
const method = <Stream extends boolean>(name: string, responseStream: Stream) => ({
  path: `/wrenn.test.Faults/${name}`,
  requestStream: false as const,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: (b: Buffer) => {
    if (name === "Undecodable") throw new Error("index out of range: 3 + 10 > 4");
    return b;
  },
  responseSerialize: (b: Buffer) => {
    if (name === "Unserializable") throw new Error("cannot encode field");
    return b;
  },
  responseDeserialize: identity,
  options: {},
});
const collectDefinition = {
  path: "/wrenn.test.Faults/Collect",
  requestStream: true as const,
  responseStream: false as const,
  requestSerialize: identity,
  requestDeserialize: (b: Buffer) => {
    if (b.toString() === "garbage") throw new Error("invalid wire type 7 at offset 0");
    return b;
  },
  responseSerialize: identity,
  responseDeserialize: identity,
  options: {},
};
const FaultsDefinition = {
  collect: collectDefinition,
  fail: method("Fail", false),
  failStream: method("FailStream", true),
  undecodable: method("Undecodable", false),
  unserializable: method("Unserializable", false),
} as const;

const crashId = "a" + "𝑻".repeat(40);

function failure(request: Buffer): Error {
  const kind = request.toString();
  if (kind === "lone-surrogate") return new ServerError(Status.NOT_FOUND, `no sandbox "${crashId.slice(0, 64)}"`);
  if (kind === "huge") return new ServerError(Status.INVALID_ARGUMENT, "😀".repeat(256 * 1024));
  if (kind === "controls") return new ServerError(Status.INVALID_ARGUMENT, "bad\u0000key\nnext\u001b[31m");
  if (kind === "peer") return Object.assign(new Error("peer"), { code: Status.FAILED_PRECONDITION, details: "sandbox is paused" });
  if (kind === "domain-internal") return new ServerError(Status.INTERNAL, "pause failed; it is still running");
  return new TypeError("Cannot read properties of undefined (reading 'x')");
}

let grpc: WrennGrpcServer;
let channel: Channel;
let client: ReturnType<typeof createClient<typeof FaultsDefinition>>;
const logLines: Record<string, unknown>[] = [];
const collected: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: "info" }, sink);
  grpc = createGrpcServer({ logger, reflectedServices: [] });
  grpc.server.add(FaultsDefinition, {
    async fail(request: Buffer): Promise<Buffer> {
      throw failure(request);
    },
    async *failStream(request: Buffer): AsyncGenerator<Buffer> {
      yield Buffer.from("first");
      throw failure(request);
    },
    async undecodable(request: Buffer) {
      return request;
    },
    async unserializable(request: Buffer) {
      return request;
    },
    async collect(requests: AsyncIterable<Buffer>) {
      const seen: string[] = [];
      for await (const message of requests) {
        seen.push(message.toString());
        collected.push(message.toString());
      }
      return Buffer.from(seen.join(","));
    },
  });
  const port = await grpc.server.listen("127.0.0.1:0");
  channel = createChannel(`127.0.0.1:${port}`);
  client = createClient(FaultsDefinition, channel);
});

afterAll(async () => {
  channel?.close();
  await grpc?.server.shutdown();
});

async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClientError);
  return err as ClientError;
}

async function stillAnswers(): Promise<void> {
  const err = await rejection(client.fail(Buffer.from("peer")));
  expect(err.code).toBe(Status.FAILED_PRECONDITION);
}

describe("statuses leaving a server", () => {
  it("answers the crash input (a lone surrogate in the message) and keeps serving", async () => {
    const err = await rejection(client.fail(Buffer.from("lone-surrogate")));
    expect(err.code).toBe(Status.NOT_FOUND);
    expect(err.details).toBe(`no sandbox "a${"𝑻".repeat(31)}\uFFFD"`);
    await stillAnswers();
  });

  it("bounds a huge message to 1 KiB", async () => {
    const err = await rejection(client.fail(Buffer.from("huge")));
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(Buffer.byteLength(err.details)).toBeLessThanOrEqual(maxStatusMessageBytes);
    expect(err.details).toMatch(/^(😀)+…$/u);
  });

  it("sends no control characters", async () => {
    const err = await rejection(client.fail(Buffer.from("controls")));
    expect(err.details).toBe("bad\uFFFDkey next\uFFFD[31m");
  });

  it("passes a peer's status through", async () => {
    const err = await rejection(client.fail(Buffer.from("peer")));
    expect(err.code).toBe(Status.FAILED_PRECONDITION);
    expect(err.details).toBe("sandbox is paused");
  });

  it("turns a throw into INTERNAL for that call only, with the cause logged under the reference it answers", async () => {
    const err = await rejection(client.fail(Buffer.from("bug")));
    expect(err.code).toBe(Status.INTERNAL);
    const ref = /^internal error \(ref ([0-9a-f]{8})\)$/.exec(err.details)?.[1];
    expect(ref, err.details).toBeDefined();
    const line = logLines.find((l) => l.ref === ref) as { err?: { message?: string; stack?: string }; method?: string };
    expect(line?.method).toBe("/wrenn.test.Faults/Fail");
    expect(line?.err?.message).toBe("Cannot read properties of undefined (reading 'x')");
    expect(line?.err?.stack).toContain("failure");
    await stillAnswers();
  });

  it("does the same for a throw in the middle of a stream", async () => {
    const received: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const message of client.failStream(Buffer.from("bug"))) received.push(message.toString());
      })(),
    );
    expect(received).toEqual(["first"]);
    expect(err.code).toBe(Status.INTERNAL);
    const ref = /\(ref ([0-9a-f]{8})\)/.exec(err.details)?.[1];
    expect(logLines.some((l) => l.ref === ref && l.method === "/wrenn.test.Faults/FailStream")).toBe(true);
  });

  it("keeps a domain's INTERNAL message and logs it", async () => {
    const err = await rejection(client.fail(Buffer.from("domain-internal")));
    expect(err.code).toBe(Status.INTERNAL);
    const match = /^pause failed; it is still running \(ref ([0-9a-f]{8})\)$/.exec(err.details);
    expect(match, err.details).not.toBeNull();
    expect(logLines.some((l) => l.ref === match![1])).toBe(true);
  });

  it("answers a request it cannot decode with INVALID_ARGUMENT, not INTERNAL", async () => {
    const err = await rejection(client.undecodable(Buffer.from("x")));
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.details).toBe("the request to /wrenn.test.Faults/Undecodable is not a valid protobuf message (index out of range: 3 + 10 > 4)");
    await stillAnswers();
  });

  it("answers a request stream with an undecodable message INVALID_ARGUMENT, after the messages before it", async () => {
    const err = await rejection(
      client.collect(
        (async function* () {
          yield Buffer.from("one");
          yield Buffer.from("garbage");
          yield Buffer.from("three");
        })(),
      ),
    );
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.details).toBe("the request to /wrenn.test.Faults/Collect is not a valid protobuf message (invalid wire type 7 at offset 0)");
    expect(collected).toEqual(["one"]);
    expect(Buffer.from(await client.collect((async function* () { yield Buffer.from("a"); yield Buffer.from("b"); })())).toString()).toBe("a,b");
  });

  it("logs the cause of a response that cannot be encoded (grpc-js answers INTERNAL itself)", async () => {
    const err = await rejection(client.unserializable(Buffer.from("x")));
    expect(err.code).toBe(Status.INTERNAL);
    const line = logLines.find((l) => l.method === "/wrenn.test.Faults/Unserializable") as { err?: { message?: string } } | undefined;
    expect(line?.err?.message).toBe("cannot encode field");
    await stillAnswers();
  });
});
