import { errors, hasGrpcStatus } from "@wrenn/shared";
import { Status, type Metadata } from "nice-grpc-common";
import type { ProcessEvent, ProcessSelector } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { ProcessServiceClient } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { OpenedProcess } from "./bridge.js";

export interface OpenContext {
  client: ProcessServiceClient;
  sandboxId: string;
  metadata: Metadata;
  signal: AbortSignal;
}

/**
 * The PTY route's process: `?tag=` of a running process re-attaches to it
 * (ConnectProcess: the output buffered since it started, then live); any
 * other tag, or none, starts a terminal (background, so it outlives this
 * client; envd closes it 120 s after its last client left).
 */
export async function openPty(ctx: OpenContext, params: URLSearchParams): Promise<OpenedProcess> {
  const tag = params.get("tag") ?? undefined;
  const cols = sizeParam(params, "cols", 80);
  const rows = sizeParam(params, "rows", 24);
  if (tag !== undefined) {
    if (tag === "") throw errors.invalidArgument("tag must not be empty");
    try {
      return await connect(ctx, { tag });
    } catch (err) {
      if (!hasGrpcStatus(err) || err.code !== Status.NOT_FOUND) throw err;
      // No process has that tag (or the sandbox is not there: the start says so).
    }
  }
  const cmd = params.get("cmd");
  const user = params.get("user") ?? undefined;
  const cwd = params.get("cwd") ?? undefined;
  const events = ctx.client.startProcess(
    {
      sandboxId: ctx.sandboxId,
      start: {
        // A login shell, or a command line run by one (so PATH and the profile are the user's).
        process: { cmd: "bash", args: cmd ? ["-lc", cmd] : ["-l"], envs: { TERM: "xterm-256color" }, user, cwd },
        tag,
        background: true,
        keepStdinOpen: true,
        pty: { cols, rows },
      },
    },
    { metadata: ctx.metadata, signal: ctx.signal },
  );
  return { ...(await firstStart(events[Symbol.asyncIterator]())), created: true };
}

/** The stream route's process: a pid (decimal) or a tag, re-attached with its buffered output replayed. */
export function openStream(ctx: OpenContext, selector: string): Promise<OpenedProcess> {
  if (selector === "") throw errors.invalidArgument("selector must be a pid or a tag");
  const byPid = /^[0-9]{1,10}$/.test(selector) ? Number(selector) : undefined;
  if (byPid !== undefined && (byPid === 0 || byPid > 0xffffffff)) throw errors.invalidArgument(`pid ${selector} is out of range`);
  return connect(ctx, byPid !== undefined ? { pid: byPid } : { tag: selector });
}

function connect(ctx: OpenContext, process: ProcessSelector): Promise<OpenedProcess> {
  const events = ctx.client.connectProcess({ sandboxId: ctx.sandboxId, process }, { metadata: ctx.metadata, signal: ctx.signal });
  return firstStart(events[Symbol.asyncIterator]());
}

/** Reads up to the start event (a stream's first): the process runs, or the call's error is the answer to the upgrade. */
async function firstStart(events: AsyncIterator<{ event?: ProcessEvent }>): Promise<OpenedProcess> {
  for (;;) {
    const next = await events.next();
    if (next.done) throw errors.unavailable("the process stream ended before the process started");
    const start = next.value.event?.start;
    if (start) return { pid: start.pid, tag: start.tag, events, created: false };
  }
}

function sizeParam(params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 0xffff)) throw errors.invalidArgument(`${name} must be a whole number from 1 to 65535`);
  return n;
}
