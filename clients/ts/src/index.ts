import { createChannel, createClientFactory, Metadata, type Channel, type ClientMiddleware } from "nice-grpc";
import { SandboxServiceDefinition, type SandboxServiceClient } from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { ProcessServiceDefinition, type ProcessServiceClient } from "@wrenn/gen/wrenn/api/v1/process.js";
import { FilesystemServiceDefinition, type FilesystemServiceClient } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { PortServiceDefinition, type PortServiceClient } from "@wrenn/gen/wrenn/api/v1/port.js";

export * from "@wrenn/gen/wrenn/api/v1/sandbox.js";

export interface WrennClient {
  sandboxes: SandboxServiceClient;
  processes: ProcessServiceClient;
  filesystem: FilesystemServiceClient;
  ports: PortServiceClient;
  /** Runs a command to completion and collects its output. */
  run(sandboxId: string, cmd: string, args?: string[], options?: RunOptions): Promise<RunResult>;
  close(): void;
}

export interface RunOptions {
  envs?: Record<string, string>;
  cwd?: string;
  stdin?: Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  pid: number;
  stdout: string;
  stderr: string;
  exitCode: number;
  signal: string;
  error: string;
  timedOut: boolean;
}

export interface WrennClientOptions {
  /** An API key (`wrn_…`), sent with every call as `authorization: Bearer <key>`. */
  apiKey?: string;
}

/**
 * Adds `authorization: Bearer <apiKey>` to every call that does not carry
 * its own credential (a call's own metadata wins, so one can try another key).
 */
function apiKeyMiddleware(apiKey: string): ClientMiddleware {
  return async function* bearer(call, options) {
    const metadata = Metadata(options.metadata);
    if (!metadata.has("authorization") && !metadata.has("x-api-key")) metadata.set("authorization", `Bearer ${apiKey}`);
    return yield* call.next(call.request, { ...options, metadata });
  };
}

/** Typed gRPC clients for the public API at `address` ("host:port"), authenticated with `options.apiKey`. */
export function createWrennClient(address: string, options: WrennClientOptions = {}): WrennClient {
  const channel: Channel = createChannel(address);
  const factory = options.apiKey ? createClientFactory().use(apiKeyMiddleware(options.apiKey)) : createClientFactory();
  const createClient = factory.create.bind(factory);
  const processes = createClient(ProcessServiceDefinition, channel);
  return {
    sandboxes: createClient(SandboxServiceDefinition, channel),
    processes,
    filesystem: createClient(FilesystemServiceDefinition, channel),
    ports: createClient(PortServiceDefinition, channel),
    async run(sandboxId, cmd, args = [], options = {}) {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const result: RunResult = { pid: 0, stdout: "", stderr: "", exitCode: -1, signal: "", error: "", timedOut: false };
      const events = processes.startProcess(
        {
          sandboxId,
          start: {
            process: { cmd, args, envs: options.envs ?? {}, cwd: options.cwd },
            stdin: options.stdin ? Buffer.from(options.stdin) : undefined,
            timeoutMs: options.timeoutMs ?? 0,
          },
        },
        { signal: options.signal },
      );
      for await (const { event } of events) {
        if (event?.start) result.pid = event.start.pid;
        if (event?.data?.stdout) stdout.push(Buffer.from(event.data.stdout));
        if (event?.data?.stderr) stderr.push(Buffer.from(event.data.stderr));
        if (event?.end) {
          result.exitCode = event.end.exitCode;
          result.signal = event.end.signal;
          result.error = event.end.error;
          result.timedOut = event.end.timedOut;
        }
      }
      result.stdout = Buffer.concat(stdout).toString("utf8");
      result.stderr = Buffer.concat(stderr).toString("utf8");
      return result;
    },
    close() {
      channel.close();
    },
  };
}
