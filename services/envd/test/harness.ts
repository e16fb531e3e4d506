import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { createChannel, createClientFactory, Metadata, type Channel, type ClientMiddleware } from "nice-grpc";
import { EnvdServiceDefinition, type EnvdServiceClient } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import { FilesystemServiceDefinition, type FilesystemServiceClient } from "@wrenn/gen/wrenn/envd/v1/filesystem.js";
import { ProcessServiceDefinition, type ProcessServiceClient, type StartResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import { accessTokenMetadataKey } from "@wrenn/shared";
import { spawnService, type ServiceProcess } from "@wrenn/devstack";

export const bundlePath = fileURLToPath(new URL("../dist/envd.mjs", import.meta.url));

export interface RunningEnvd {
  child: ChildProcess;
  service: ServiceProcess;
  dir: string;
  socket: string;
  channel: Channel;
  process: ProcessServiceClient;
  fs: FilesystemServiceClient;
  envd: EnvdServiceClient;
  /** Every stderr log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** The access token the harness's Init set (every client call carries it), or undefined with `initialise: false`. */
  token: string | undefined;
  /** Where envd writes its clone-generation file (inside `dir`). */
  cloneFile: string;
  stop(): Promise<void>;
}

/** Starts the real envd bundle on a unix socket in a fresh temp dir and waits for its "listening" line. */
export async function startEnvd(
  env: Record<string, string> = {},
  socketPath?: string,
  /** A command that runs envd, e.g. ["ip", "netns", "exec", "ns1"] (it must exec, keeping the pid). */
  prefix: string[] = [],
  /**
   * envd answers nothing but Init until Init set an access token, so by
   * default the harness initialises it with a random one that its clients
   * then present; `initialise: false` leaves envd as it starts.
   */
  options: { initialise?: boolean } = {},
): Promise<RunningEnvd> {
  const dir = mkdtempSync(join(tmpdir(), "envd-test-"));
  const socket = socketPath ?? join(dir, "envd.sock");
  const cloneFile = join(dir, "run", "clone-generation");
  const service = await spawnService({
    name: "envd",
    entry: bundlePath,
    bundled: true,
    prefix,
    // As in a guest: none of the test runner's settings.
    inheritEnv: false,
    env: {
      WRENN_ENVD_LISTEN: `unix:${socket}`,
      // The tests share the host network: never expose its loopback ports.
      WRENN_ENVD_FORWARD_PORTS: "false",
      // Never the host's /run/wrenn.
      WRENN_ENVD_CLONE_FILE: cloneFile,
      ...env,
    },
    listeners: ["grpc"],
    startTimeoutMs: 10_000,
  });
  // nice-grpc's createChannel would append ":80" to "unix:/path"; the
  // three-slash form is passed to grpc-js unchanged.
  const channel = createChannel(`unix://${socket}`);
  const token = options.initialise === false ? undefined : `tok-${randomBytes(16).toString("hex")}`;
  const clients = createClientFactory().use(presentToken(() => token));
  const envdClient = clients.create(EnvdServiceDefinition, channel);
  if (token) await envdClient.init({ accessToken: token });
  return {
    child: service.child,
    service,
    dir,
    socket,
    channel,
    logs: service.logs,
    token,
    cloneFile,
    process: clients.create(ProcessServiceDefinition, channel),
    fs: clients.create(FilesystemServiceDefinition, channel),
    envd: envdClient,
    async stop() {
      channel.close();
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client factory whose calls carry `token` (for extra channels a test opens). */
export function clientsWithToken(token: string | undefined) {
  return createClientFactory().use(presentToken(() => token));
}

/** Adds the harness's token to calls that do not carry one of their own. */
function presentToken(token: () => string | undefined): ClientMiddleware {
  return async function* withToken(call, callOptions) {
    const metadata = Metadata(callOptions.metadata);
    const current = token();
    if (current && !metadata.has(accessTokenMetadataKey)) metadata.set(accessTokenMetadataKey, current);
    return yield* call.next(call.request, { ...callOptions, metadata });
  };
}

export interface Collected {
  events: StartResponse["event"][];
  stdout: Buffer;
  stderr: Buffer;
  pid: number;
  end: NonNullable<NonNullable<StartResponse["event"]>["end"]>;
}

/** Drains a Start stream into its parts. */
export async function collect(stream: AsyncIterable<StartResponse>): Promise<Collected> {
  const events: StartResponse["event"][] = [];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for await (const { event } of stream) {
    events.push(event);
    if (event?.data?.stdout) out.push(event.data.stdout);
    if (event?.data?.stderr) err.push(event.data.stderr);
  }
  const end = events.at(-1)?.end;
  if (!end) throw new Error(`stream did not finish with an end event: ${JSON.stringify(events.at(-1))}`);
  return { events, stdout: Buffer.concat(out), stderr: Buffer.concat(err), pid: events[0]?.start?.pid ?? -1, end };
}

/** True while the pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Reads a process stream until `until` says stop (or the stream ends); returns what came and the iterator to continue. */
export async function readUntil(
  stream: AsyncIterable<StartResponse>,
  until: (text: string, events: StartResponse["event"][]) => boolean,
  timeoutMs = 10_000,
): Promise<{ text: string; events: StartResponse["event"][]; rest: AsyncIterator<StartResponse> }> {
  const it = stream[Symbol.asyncIterator]();
  const events: StartResponse["event"][] = [];
  let text = "";
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`timed out; got so far: ${JSON.stringify(text.slice(-500))}`);
    const next = await Promise.race([
      it.next(),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), remaining).unref()),
    ]);
    if (next === "timeout") throw new Error(`timed out; got so far: ${JSON.stringify(text.slice(-500))}`);
    if (next.done) return { text, events, rest: it };
    const event = next.value.event;
    events.push(event);
    const data = event?.data?.stdout ?? event?.data?.pty ?? event?.data?.stderr;
    if (data) text += data.toString();
    if (until(text, events)) return { text, events, rest: it };
  }
}

/** The status code of a failed call (throws when the call succeeds). */
export async function statusOf(call: Promise<unknown> | AsyncIterable<unknown>): Promise<number> {
  try {
    if (Symbol.asyncIterator in (call as object)) {
      for await (const _ of call as AsyncIterable<unknown>) {
        /* drain */
      }
    } else await call;
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === "number") return (err as { code: number }).code;
    throw err;
  }
  throw new Error("expected the call to fail");
}
