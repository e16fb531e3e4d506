/**
 * A small real nice-grpc server implementing the wrenn.api.v1 services, used
 * only by the gateway tests: the gateway is the unit under test, this is the
 * backend it transcodes to.
 */
import { randomUUID } from "node:crypto";
import { createLogger, errors, toWireId, httpCodeMetadataKey } from "@wrenn/shared";
import { createGrpcServer } from "@wrenn/shared";
import { withUnimplemented } from "../support/with-unimplemented.js";
import type { Metadata } from "nice-grpc-common";
import {
  SandboxServiceDefinition,
  SandboxStatus,
  type Sandbox,
  type SandboxServiceImplementation,
} from "@wrenn/gen/wrenn/api/v1/sandbox.js";
import { ProcessServiceDefinition, type ProcessServiceImplementation } from "@wrenn/gen/wrenn/api/v1/process.js";
import { FilesystemServiceDefinition, type FilesystemServiceImplementation } from "@wrenn/gen/wrenn/api/v1/filesystem.js";
import { FileType } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";

export interface TestBackend {
  address: string;
  sandboxes: Map<string, Sandbox>;
  files: Map<string, Buffer>;
  /** Metadata of the last call, by RPC name. */
  seen: Map<string, Metadata>;
  /** WriteFile messages as received: sandbox id, path and bytes of each. */
  writes: { sandboxId: string; path: string; bytes: number; at: number }[];
  /** Messages a "big" ReadFile stream has produced so far. */
  bigProduced: number;
  /** RPCs a call of which has seen its cancellation. */
  cancelled: ReadonlySet<string>;
  /** Lets a "gated" StartProcess send its end event. */
  openGate(): void;
  close(): Promise<void>;
}

export async function startTestBackend(): Promise<TestBackend> {
  const logger = createLogger("gateway-test", { level: "silent" });
  const { server } = createGrpcServer({ logger, reflectedServices: [] });
  const cancelled = new Set<string>();
  const markCancelled = (rpc: string): void => {
    cancelled.add(rpc);
  };
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const state: TestBackend = {
    address: "",
    sandboxes: new Map(),
    files: new Map(),
    seen: new Map(),
    writes: [],
    bigProduced: 0,
    cancelled,
    openGate: () => openGate(),
    close: () => server.shutdown(),
  };

  // RPCs it does not fake answer UNIMPLEMENTED, so the double keeps compiling as the API grows.
  const sandboxes = withUnimplemented<SandboxServiceImplementation>(SandboxServiceDefinition, {
    async createSandbox(request, context) {
      state.seen.set("CreateSandbox", context.metadata);
      if (request.templateId === "no-such-template") throw errors.invalidArgument(`unknown template "${request.templateId}"`);
      const now = new Date("2026-01-02T03:04:05Z");
      const sandbox: Sandbox = {
        sandboxId: toWireId("sb", randomUUID()),
        templateId: request.templateId || "base",
        status: SandboxStatus.SANDBOX_STATUS_STARTING,
        metadata: request.metadata,
        createdAt: now,
        updatedAt: now,
        error: "",
        hostId: "host-1",
        resources: undefined,
        publicPorts: request.publicPorts,
        autoResume: request.autoResume,
        trafficToken: "wrt_test",
        accessToken: "",
        expiresAt: undefined,
      };
      state.sandboxes.set(sandbox.sandboxId, sandbox);
      context.header.set(httpCodeMetadataKey, "202");
      return { sandbox };
    },
    async getSandbox(request) {
      const sandbox = state.sandboxes.get(request.sandboxId);
      if (!sandbox) throw errors.notFound(`sandbox ${request.sandboxId} not found`);
      return { sandbox };
    },
    async listSandboxes() {
      return { sandboxes: [...state.sandboxes.values()] };
    },
    async destroySandbox(request) {
      const sandbox = state.sandboxes.get(request.sandboxId);
      if (!sandbox) throw errors.notFound(`sandbox ${request.sandboxId} not found`);
      state.sandboxes.delete(request.sandboxId);
      return { sandbox: { ...sandbox, status: SandboxStatus.SANDBOX_STATUS_STOPPED } };
    },
  });

  const processes = withUnimplemented<ProcessServiceImplementation>(ProcessServiceDefinition, {
    async *startProcess(request, context) {
      state.seen.set("StartProcess", context.metadata);
      const cmd = request.start?.process?.cmd ?? "";
      if (cmd === "") throw errors.invalidArgument("start.process.cmd is required");
      if (request.sandboxId !== "sb-1") throw errors.notFound(`sandbox ${request.sandboxId} not found`);
      yield { event: { start: { pid: 42, tag: request.start?.tag ?? "proc-1" } } };
      if (cmd === "fail-midway") throw errors.failedPrecondition("sandbox stopped while the process ran");
      if (cmd === "forever") {
        try {
          for (;;) {
            yield { event: { keepalive: {} } };
            await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          if (context.signal.aborted) markCancelled("StartProcess");
        }
      }
      if (cmd === "gated") await gate;
      const text = [cmd, ...(request.start?.process?.args ?? [])].join(" ");
      yield { event: { data: { stdout: Buffer.from(`${text}\n`) } } };
      yield { event: { data: { stderr: Buffer.from("warn\n") } } };
      yield { event: { end: { exitCode: 0, exited: true, signal: "", error: "", timedOut: false } } };
    },
  });

  const entry = (path: string, size: number) => ({
    name: path.split("/").pop() ?? "",
    path,
    type: FileType.FILE_TYPE_FILE,
    size,
    mode: 0o644,
    owner: "user",
    group: "user",
    modifiedAt: new Date("2026-01-02T03:04:05Z"),
    symlinkTarget: "",
  });

  const filesystem = withUnimplemented<FilesystemServiceImplementation>(FilesystemServiceDefinition, {
    async statFile(request) {
      const data = state.files.get(request.path);
      if (!data) throw errors.notFound(`${request.path}: no such file`);
      return { entry: entry(request.path, data.length) };
    },
    async listDir(request) {
      // Echoes its inputs through the entry names so tests can see how query parameters arrived.
      return { entries: [entry(`${request.path}/depth-${request.depth}-user-${request.user ?? "none"}`, 0)] };
    },
    async makeDir(request) {
      return { entry: { ...entry(request.path, 0), type: FileType.FILE_TYPE_DIRECTORY } };
    },
    async moveFile(request) {
      return { entry: entry(request.destination, 0) };
    },
    async removeFile() {
      return {};
    },
    async *readFile(request, context) {
      if (request.path === "/big") {
        try {
          for (let i = 0; i < 100_000; i++) {
            state.bigProduced++;
            yield { data: Buffer.alloc(64 * 1024, 97) };
          }
        } finally {
          if (context.signal.aborted) markCancelled("ReadFile");
        }
        return;
      }
      const data = state.files.get(request.path);
      if (!data) throw errors.notFound(`${request.path}: no such file`);
      for (let off = 0; off < data.length; off += 4) yield { data: data.subarray(off, off + 4) };
    },
    async writeFile(requests) {
      let path = "";
      const chunks: Buffer[] = [];
      for await (const req of requests) {
        state.writes.push({ sandboxId: req.sandboxId, path: req.path, bytes: req.data.length, at: Date.now() });
        // The target (sandbox, path) comes in the first message only, as the file-transfer route sends it.
        if (!path && req.sandboxId !== "sb-1") throw errors.notFound(`sandbox ${req.sandboxId} not found`);
        path ||= req.path;
        chunks.push(Buffer.from(req.data));
      }
      if (!path) throw errors.invalidArgument("path is required in the first message");
      const data = Buffer.concat(chunks);
      state.files.set(path, data);
      return { entry: entry(path, data.length) };
    },
  });

  server.add(SandboxServiceDefinition, sandboxes);
  server.add(ProcessServiceDefinition, processes);
  server.add(FilesystemServiceDefinition, filesystem);
  const port = await server.listen("127.0.0.1:0");
  state.address = `127.0.0.1:${port}`;
  return state;
}
