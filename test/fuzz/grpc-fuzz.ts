import * as grpc from "@grpc/grpc-js";
import { createFileRegistry, fromBinary, type DescMethod } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { descriptorSetBase64 } from "@wrenn/gen/descriptor.js";
import { baseline, casesFor, type FuzzCase } from "./cases.js";
import type { FuzzTargets } from "./live-stack.js";

/**
 * Sends every fuzz case of every public method (all services of the package,
 * read from the descriptor set) as raw bytes, and records the status of each
 * call. Cases of all methods are interleaved so a time budget cuts evenly.
 */

export interface GrpcFuzzOptions {
  address: string;
  packageName: string;
  budgetMs: number;
  /** The current targets; `refresh` may replace them (a fuzzed call can destroy the sandbox). */
  targets(): FuzzTargets;
  refresh(): Promise<void>;
  /** Called after an UNAVAILABLE: false means the server died, which ends the run. */
  alive(): Promise<boolean>;
  /** The key sent with every case as `authorization: Bearer …` (`refresh` may replace it); each method also gets calls with no key and with a wrong one. */
  apiKey(): string;
}

export interface GrpcFailure {
  method: string;
  label: string;
  code: string;
  details: string;
}

export interface GrpcFuzzResult {
  methods: string[];
  sent: number;
  planned: number;
  byCode: Record<string, number>;
  failures: GrpcFailure[];
  /** Details of the UNAVAILABLE and DEADLINE_EXCEEDED answers that were not failures, with counts. */
  notes: Record<string, number>;
  durationMs: number;
}

/** INTERNAL, UNKNOWN and DATA_LOSS are bugs whatever the input; UNAVAILABLE is one when the server died. */
const failureCodes = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DATA_LOSS]);
const unaryDeadlineMs = 15_000;
const streamWindowMs = 400;
const concurrency = 6;
const streamMaxMessages = 3;
/** The one public method that takes no credential (it makes the account that gets one). */
const unauthenticatedMethods = new Set(["/wrenn.api.v1.AccountService/Signup"]);
/** Well-formed, but no key of this stack. */
const wrongKey = `wrn_${"A".repeat(43)}`;

/** What a case is sent with: the stack's key, none, or a wrong one (which must get UNAUTHENTICATED). */
type Credential = "key" | "none" | "wrong";

export function publicMethods(packageName: string): DescMethod[] {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64")));
  const methods: DescMethod[] = [];
  for (const file of registry.files) {
    if (file.proto.package !== packageName) continue;
    for (const service of file.services) methods.push(...service.methods);
  }
  return methods;
}

export async function fuzzGrpc(options: GrpcFuzzOptions): Promise<GrpcFuzzResult> {
  const started = Date.now();
  const methods = publicMethods(options.packageName);
  const inputs = methods.map((m) => m.input);
  const perMethod = methods.map((m, i) => ({ method: m, cases: casesFor(m.input, rotate(inputs, i + 1).filter((x) => x !== m.input)) }));
  const schedule: { method: DescMethod; fuzzCase: FuzzCase; credential: Credential }[] = [];
  for (let round = 0; perMethod.some((p) => round < p.cases.length); round++) {
    for (const p of perMethod) if (round < p.cases.length) schedule.push({ method: p.method, fuzzCase: p.cases[round], credential: "key" });
    // Early in the run (the budget may end it): each method's empty and baseline requests without a key and with a wrong one.
    if (round <= 1) {
      for (const p of perMethod) {
        schedule.push({ method: p.method, fuzzCase: p.cases[round], credential: "none" }, { method: p.method, fuzzCase: p.cases[round], credential: "wrong" });
      }
    }
  }

  const client = new grpc.Client(options.address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  const result: GrpcFuzzResult = { methods: methods.map(path), sent: 0, planned: schedule.length, byCode: {}, failures: [], notes: {}, durationMs: 0 };
  const record = async (method: DescMethod, fuzzCase: FuzzCase, credential: Credential): Promise<boolean> => {
    const key = credential === "key" ? options.apiKey() : credential === "wrong" ? wrongKey : undefined;
    const status = await call(client, method, fuzzCase.bytes(options.targets()), options.targets(), key);
    result.sent++;
    const name = status.clientCancelled ? "CANCELLED (by the fuzzer)" : grpc.status[status.code];
    result.byCode[name] = (result.byCode[name] ?? 0) + 1;
    const died = status.code === grpc.status.UNAVAILABLE && !(await options.alive());
    if (status.code === grpc.status.UNAVAILABLE || status.code === grpc.status.DEADLINE_EXCEEDED) {
      const note = `${name} from ${method.name}: ${status.details.slice(0, 120)}`;
      result.notes[note] = (result.notes[note] ?? 0) + 1;
    }
    const label = credential === "key" ? fuzzCase.label : `${fuzzCase.label}, ${credential === "none" ? "no key" : "a wrong key"}`;
    const letIn = credential !== "key" && !unauthenticatedMethods.has(path(method)) && status.code !== grpc.status.UNAUTHENTICATED;
    if (failureCodes.has(status.code) || died || letIn) {
      const details = letIn ? `answered without a valid key (want UNAUTHENTICATED): ${status.details}` : status.details;
      result.failures.push({ method: path(method), label, code: grpc.status[status.code], details: details.slice(0, 300) });
    }
    return died;
  };
  try {
    // A few workers pull cases in order: streams are watched for a short
    // window, and waiting for them one by one would spend the budget waiting.
    let next = 0;
    let died = false;
    let refreshing: Promise<void> | undefined;
    const worker = async (): Promise<void> => {
      while (!died && next < schedule.length && Date.now() - started <= options.budgetMs) {
        const i = next++;
        if (i % 24 === 0) refreshing = options.refresh();
        await refreshing;
        if (await record(schedule[i].method, schedule[i].fuzzCase, schedule[i].credential)) died = true;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    client.close();
    result.durationMs = Date.now() - started;
  }
  return result;
}

interface CallStatus {
  code: grpc.status;
  details: string;
  clientCancelled: boolean;
}

function call(client: grpc.Client, method: DescMethod, bytes: Buffer, targets: FuzzTargets, apiKey: string | undefined): Promise<CallStatus> {
  const rpc = path(method);
  const id = (b: Buffer): Buffer => b;
  const md = new grpc.Metadata();
  if (apiKey) md.set("authorization", `Bearer ${apiKey}`);
  return new Promise((resolve) => {
    let settled = false;
    let cancelledByUs = false;
    const done = (code: grpc.status, details: string): void => {
      if (settled) return;
      settled = true;
      resolve({ code, details, clientCancelled: cancelledByUs && code === grpc.status.CANCELLED });
    };
    const fromError = (err: grpc.ServiceError | null): void => (err ? done(err.code, err.details) : done(grpc.status.OK, ""));
    const deadline = Date.now() + unaryDeadlineMs;
    switch (method.methodKind) {
      case "unary":
        client.makeUnaryRequest(rpc, id, id, bytes, md, { deadline }, (err) => fromError(err));
        return;
      case "client_streaming": {
        const stream = client.makeClientStreamRequest(rpc, id, id, md, { deadline }, (err) => fromError(err));
        stream.on("error", () => undefined);
        stream.write(bytes);
        // A second message as a well-behaved client would send it (data only).
        stream.write(baseline(method.input, targets, 0));
        stream.end();
        return;
      }
      default: {
        const stream =
          method.methodKind === "server_streaming"
            ? client.makeServerStreamRequest(rpc, id, id, bytes, md, { deadline })
            : client.makeBidiStreamRequest(rpc, id, id, md, { deadline });
        if (method.methodKind === "bidi_streaming") {
          const duplex = stream as grpc.ClientDuplexStream<Buffer, Buffer>;
          duplex.write(bytes);
          duplex.end();
        }
        let received = 0;
        // Streams may run forever (watches, attached processes): a short look, then leave.
        const stop = (): void => {
          cancelledByUs = true;
          stream.cancel();
        };
        const timer = setTimeout(stop, streamWindowMs);
        stream.on("data", () => {
          if (++received >= streamMaxMessages) stop();
        });
        stream.on("error", (err: grpc.ServiceError) => {
          clearTimeout(timer);
          done(err.code, err.details);
        });
        stream.on("status", (s: grpc.StatusObject) => {
          clearTimeout(timer);
          done(s.code, s.details);
        });
      }
    }
  });
}

function path(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}
