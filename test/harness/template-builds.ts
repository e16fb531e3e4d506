import { createChannel, createClientFactory, Metadata, type Channel, type Client, type ClientMiddleware } from "nice-grpc";
import {
  BuildServiceDefinition,
  BuildStatus,
  TemplateServiceDefinition,
  type Build,
  type BuildEvent,
  type BuildSpec,
  type CreateBuildRequest,
} from "@wrenn/gen/wrenn/api/v1/template.js";

/**
 * The public template and build services as a user reaches them: gRPC
 * clients with an API key, the multipart POST /v1/builds, and the build's
 * event stream read to its end.
 */
export interface TemplateApi {
  templates: Client<typeof TemplateServiceDefinition>;
  builds: Client<typeof BuildServiceDefinition>;
  close(): void;
}

function withKey(apiKey: string): ClientMiddleware {
  return async function* (call, options) {
    const metadata = Metadata(options.metadata);
    metadata.set("authorization", `Bearer ${apiKey}`);
    return yield* call.next(call.request, { ...options, metadata });
  };
}

export function templateApi(grpcAddress: string, apiKey: string): TemplateApi {
  const channel: Channel = createChannel(grpcAddress);
  const factory = createClientFactory().use(withKey(apiKey));
  return {
    templates: factory.create(TemplateServiceDefinition, channel),
    builds: factory.create(BuildServiceDefinition, channel),
    close: () => channel.close(),
  };
}

/** CreateBuild over gRPC: the spec, then the archive in chunks (the client stream). */
export async function createBuild(api: TemplateApi, spec: Partial<BuildSpec>, archive?: Buffer): Promise<Build> {
  async function* parts(): AsyncIterable<CreateBuildRequest> {
    yield { spec: { name: "", recipe: "", vcpus: 0, memoryMib: 0, diskMib: 0, platform: false, stepTimeoutSeconds: 0, ...spec } };
    for (let at = 0; archive && at < archive.length; at += 1024 * 1024) yield { archiveChunk: archive.subarray(at, at + 1024 * 1024) };
  }
  const { build } = await api.builds.createBuild(parts());
  if (!build) throw new Error("CreateBuild answered no build");
  return build;
}

/** POST /v1/builds with a multipart body, as curl -F sends it: the spec's fields, and the archive as a file part. */
export async function postBuild(
  httpUrl: string,
  apiKey: string,
  fields: Record<string, string>,
  archive?: { name: string; bytes: Buffer },
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  if (archive) form.append("archive", new Blob([archive.bytes]), archive.name);
  const res = await fetch(`${httpUrl}/v1/builds`, { method: "POST", headers: { authorization: `Bearer ${apiKey}` }, body: form });
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

/** Every event of a build, from the first, until the stream ends after the ended event. */
export async function buildEvents(api: TemplateApi, buildId: string, afterSeq = 0): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  for await (const { event } of api.builds.watchBuild({ buildId, afterSeq })) if (event) events.push(event);
  return events;
}

/** Waits for the build to end (its event stream ends), then answers its final state. */
export async function finishedBuild(api: TemplateApi, buildId: string): Promise<{ build: Build; events: BuildEvent[] }> {
  const events = await buildEvents(api, buildId);
  const { build } = await api.builds.getBuild({ buildId });
  return { build: build!, events };
}

/** The output of the build's steps, joined (what a user reads as its log). */
export function buildOutput(events: BuildEvent[]): string {
  return events.map((e) => e.stepOutput?.text ?? "").join("");
}

/** A short account of a build for assertion messages: its status, error and last events. */
export function describeBuild(build: Build, events: BuildEvent[] = []): string {
  const tail = events.slice(-8).map((e) => JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)));
  return `${BuildStatus[build.status]} ${build.error}\n${tail.join("\n")}`;
}

/**
 * Templates need memory snapshots, so the QEMU runtime (TCG here), with
 * per-sandbox networks as `./wrenn up` gives them (the port proxy reaches
 * loopback servers); a network prefix and pool of the file's own.
 */
export function qemuStackOptions(prefix: string, pool: string) {
  return {
    runtime: "qemu" as const,
    sandboxNetwork: "netns" as const,
    hostagentEnv: { WRENN_NETWORK_PREFIX: prefix, WRENN_NETWORK_POOL: pool },
    hostagentStartTimeoutMs: 15 * 60_000,
  };
}
