import type { ServerCredentials } from "@grpc/grpc-js";
import { createServer, ServerError, Status, type CallContext } from "nice-grpc";
import { randomBytes } from "node:crypto";
import { withUnimplemented } from "./with-unimplemented.js";
import {
  SandboxServiceDefinition,
  type SandboxServiceImplementation,
} from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { ProcessServiceDefinition, type ProcessServiceImplementation } from "@wrenn/gen/wrenn/envd/v1/process.js";
import {
  FileType,
  FilesystemServiceDefinition,
  type EntryInfo,
  type FilesystemServiceImplementation,
} from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { sandboxIdMetadataKey } from "@wrenn/shared";
import { BuildServiceDefinition } from "@wrenn/gen/wrenn/hostagent/v1/build.js";
import type { GetHostInfoResponse, Template } from "@wrenn/gen/wrenn/hostagent/v1/hostagent.js";
import { fakeBuildService, type FakeBuildState } from "./fake-build-service.js";

/**
 * A unit-test double for the host agent: an in-memory server speaking its
 * real gRPC contract (SandboxService plus the envd relay keyed by
 * `wrenn-sandbox-id`), so the controlplane's own logic is tested in
 * milliseconds and with failures on demand. Each behaviour tested with it is
 * also tested against the real host agent in test/integration.
 *
 * Templates: "base" (and its sizes "base-1x1024", "base-2x4096"), and
 * "broken", which fails with FAILED_PRECONDITION; snapshots and builds
 * (fake-build-service.ts) work when `runtime` is "qemu". Creates take
 * `createDelayMs`. Commands: "echo" prints its args; "denied" fails with
 * PERMISSION_DENIED; "forever" sends keepalives until cancelled, or until its
 * sandbox is destroyed, which cuts it with UNAVAILABLE as the real agent's
 * relay does when the sandbox's envd goes away mid-call.
 */
export interface FakeHostAgent extends FakeBuildState {
  address: string;
  hostId: string;
  /** Capacity the fake reports in GetHostInfo (none by default, as an older agent). */
  capacity: Partial<Pick<GetHostInfoResponse, "freeMemoryBytes" | "loadAverage" | "diskFreeBytes" | "sandboxCount" | "sandboxMemoryBytes">>;
  /** Sandboxes the fake currently runs, by wire id, with the envs they got. */
  sandboxes: Map<string, { templateId: string; envs: Record<string, string>; files: Map<string, Buffer> }>;
  createDelayMs: number;
  /** When set, destroy answers NOT_FOUND even for known sandboxes (host lost it). */
  forgetOnDestroy: boolean;
  /** Calls that saw their caller cancel. */
  cancelled: string[];
  close(): Promise<void>;
}

export interface FakeHostAgentOptions {
  hostId?: string;
  /** Serve these (a registered host's mutual TLS) instead of plaintext. */
  credentials?: ServerCredentials;
}

export async function startFakeHostAgent(options: FakeHostAgentOptions = {}): Promise<FakeHostAgent> {
  const server = createServer();
  const fake: FakeHostAgent = {
    address: "",
    hostId: options.hostId ?? `host-${randomBytes(16).toString("hex")}`,
    capacity: {},
    sandboxes: new Map(),
    createDelayMs: 100,
    forgetOnDestroy: false,
    cancelled: [],
    runtime: "fake",
    builds: new Map(),
    stepMs: 30,
    holdBuilds: false,
    templates: new Map(
      (
        [
          ["base", 2, 1024],
          ["base-1x1024", 1, 1024],
          ["base-2x4096", 2, 4096],
          ["broken", 1, 256],
        ] as const
      ).map(([templateId, vcpus, memoryMib]): [string, Template] => [
        templateId,
        { templateId, parentTemplateId: "", createdAt: new Date(), vcpus, memoryMib, users: 0, diskMib: 2048, defaultUser: "", defaultWorkdir: "", envs: {}, diskBytes: 0 },
      ]),
    ),
    close: async () => server.forceShutdown(),
  };
  /** Fires when a sandbox is destroyed, cutting the calls relayed to it. */
  const destroyed = new Map<string, AbortController>();

  function sandboxOf(context: CallContext) {
    const id = context.metadata.get(sandboxIdMetadataKey);
    const sandbox = id ? fake.sandboxes.get(id) : undefined;
    if (!sandbox) throw new ServerError(Status.NOT_FOUND, `sandbox ${id ?? "(none)"} not found on this host`);
    return sandbox;
  }

  // Methods it does not fake (pause, templates, events, …) answer UNIMPLEMENTED.
  const sandboxService = withUnimplemented<SandboxServiceImplementation>(SandboxServiceDefinition, {
    async createSandbox(request) {
      await new Promise((resolve) => setTimeout(resolve, fake.createDelayMs));
      if (request.templateId === "broken") throw new ServerError(Status.FAILED_PRECONDITION, "template broken has no root filesystem");
      fake.sandboxes.set(request.sandboxId, { templateId: request.templateId, envs: request.envs, files: new Map() });
      destroyed.set(request.sandboxId, new AbortController());
      const resources = { vcpus: 1, memoryMib: 256, diskMib: 1024 };
      return { sandbox: { sandboxId: request.sandboxId, templateId: request.templateId, state: 1, startedAt: new Date(), resources } };
    },
    async destroySandbox(request) {
      const known = fake.sandboxes.delete(request.sandboxId);
      destroyed.get(request.sandboxId)?.abort();
      destroyed.delete(request.sandboxId);
      if (!known || fake.forgetOnDestroy) throw new ServerError(Status.NOT_FOUND, "no such sandbox");
      return {};
    },
    async listSandboxes() {
      return { sandboxes: [...fake.sandboxes].map(([sandboxId, s]) => ({ sandboxId, templateId: s.templateId, state: 1 })) };
    },
    async listTemplates() {
      return { templates: [...fake.templates.values()] };
    },
    async createTemplate(request) {
      if (fake.runtime !== "qemu") throw new ServerError(Status.FAILED_PRECONDITION, "the namespace runtime cannot make templates: no memory snapshots");
      const source = fake.sandboxes.get(request.sandboxId);
      if (!source) throw new ServerError(Status.NOT_FOUND, "no such sandbox");
      const template: Template = {
        templateId: request.templateId, parentTemplateId: source.templateId, createdAt: new Date(), vcpus: 1, memoryMib: 256, users: 0,
        diskMib: 1024, defaultUser: "", defaultWorkdir: "", envs: {}, diskBytes: 4096,
      };
      fake.templates.set(template.templateId, template);
      return { template, source: { sandboxId: request.sandboxId, templateId: source.templateId, state: 1, startedAt: new Date() } as never };
    },
    async deleteTemplate(request) {
      if (!fake.templates.delete(request.templateId)) throw new ServerError(Status.NOT_FOUND, "no such template");
      return {};
    },
    async getHostInfo() {
      return { hostId: fake.hostId, runtime: fake.runtime, cpuCount: 2, memoryBytes: 4 * 1024 ** 3, templates: [...fake.templates.keys()], version: "fake", ...fake.capacity };
    },
  });

  const processService = withUnimplemented<ProcessServiceImplementation>(ProcessServiceDefinition, {
    async *start(request, context) {
      sandboxOf(context);
      const cmd = request.process?.cmd ?? "";
      if (cmd === "denied") throw new ServerError(Status.PERMISSION_DENIED, "user nobody may not run this");
      yield { event: { start: { pid: 42, tag: request.tag ?? "proc-test" } } };
      if (cmd === "forever") {
        const cut = destroyed.get(context.metadata.get(sandboxIdMetadataKey) ?? "")?.signal;
        try {
          for (;;) {
            yield { event: { keepalive: {} } };
            await new Promise((resolve) => setTimeout(resolve, 20));
            if (context.signal.aborted) break;
            if (cut?.aborted) throw new ServerError(Status.UNAVAILABLE, "sandbox envd connection lost during the call");
          }
        } finally {
          if (context.signal.aborted) fake.cancelled.push("start");
        }
        return;
      }
      yield { event: { data: { stdout: Buffer.from((request.process?.args ?? []).join(" ") + "\n") } } };
      yield { event: { end: { exitCode: 0, exited: true, signal: "", error: "", timedOut: false } } };
    },
  });

  const entry = (path: string, size: number, type = FileType.FILE_TYPE_FILE): EntryInfo => ({
    name: path.split("/").pop() ?? "",
    path,
    type,
    size,
    mode: 0o644,
    owner: "user",
    group: "user",
    modifiedAt: new Date(),
    symlinkTarget: "",
  });

  const filesystemService = withUnimplemented<FilesystemServiceImplementation>(FilesystemServiceDefinition, {
    async stat(request, context) {
      const file = sandboxOf(context).files.get(request.path);
      if (!file) throw new ServerError(Status.NOT_FOUND, `${request.path}: no such file`);
      return { entry: entry(request.path, file.length) };
    },
    async listDir(request, context) {
      const files = sandboxOf(context).files;
      const prefix = request.path.endsWith("/") ? request.path : `${request.path}/`;
      return { entries: [...files].filter(([p]) => p.startsWith(prefix)).map(([p, d]) => entry(p, d.length)) };
    },
    async makeDir(request, context) {
      sandboxOf(context);
      return { entry: entry(request.path, 0, FileType.FILE_TYPE_DIRECTORY) };
    },
    async move(request, context) {
      const files = sandboxOf(context).files;
      const data = files.get(request.source);
      if (!data) throw new ServerError(Status.NOT_FOUND, `${request.source}: no such file`);
      files.delete(request.source);
      files.set(request.destination, data);
      return { entry: entry(request.destination, data.length) };
    },
    async remove(request, context) {
      sandboxOf(context).files.delete(request.path);
      return {};
    },
    async *readFile(request, context) {
      const data = sandboxOf(context).files.get(request.path);
      if (!data) throw new ServerError(Status.NOT_FOUND, `${request.path}: no such file`);
      for (let offset = 0; offset < data.length; offset += 64 * 1024) {
        yield { data: data.subarray(offset, offset + 64 * 1024) };
      }
    },
    async writeFile(requests, context) {
      const sandbox = sandboxOf(context);
      let path = "";
      const chunks: Buffer[] = [];
      for await (const request of requests) {
        if (!path) path = request.path;
        chunks.push(request.data);
      }
      const data = Buffer.concat(chunks);
      sandbox.files.set(path, data);
      return { entry: entry(path, data.length) };
    },
  });

  server.add(SandboxServiceDefinition, sandboxService);
  server.add(ProcessServiceDefinition, processService);
  server.add(FilesystemServiceDefinition, filesystemService);
  server.add(BuildServiceDefinition, fakeBuildService(fake));
  const port = await server.listen("127.0.0.1:0", options.credentials);
  fake.address = `127.0.0.1:${port}`;
  return fake;
}
