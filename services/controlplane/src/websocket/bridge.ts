import type { Logger } from "@wrenn/shared";
import { hasGrpcStatus } from "@wrenn/shared";
import type { Metadata } from "nice-grpc-common";
import { Status } from "nice-grpc-common";
import type { RawData, WebSocket } from "ws";
import type { ProcessEvent } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { ProcessServiceClient } from "@wrenn/gen/wrenn/api/v1/process.js";
import { createInputCoalescer } from "./input-coalescer.js";
import { createOutputPacer } from "./output-pacer.js";
import { closeCodeFor, closeCodes, closeReason, parseClientControl, type ServerControl } from "./protocol.js";

/** A process stream opened before the upgrade: its start event was read, the rest follows. */
export interface OpenedProcess {
  pid: number;
  tag: string;
  /** The events after the start event. */
  events: AsyncIterator<{ event?: ProcessEvent }>;
  /** This bridge started the process (a new terminal), rather than attached to one. */
  created: boolean;
}

export interface BridgeOptions {
  ws: WebSocket;
  opened: OpenedProcess;
  sandboxId: string;
  client: ProcessServiceClient;
  metadata: Metadata;
  /** Cancels the process calls (the output stream was opened with it too). */
  abort: AbortController;
  highWaterBytes: number;
  logger: Logger;
}

/**
 * Runs one bridge until either side ends: output events become binary
 * frames (paced to the client), binary frames become input (coalesced,
 * over one StreamProcessInput call opened at the first input), resize
 * messages become UpdateProcess. The process's end closes with 1000; a
 * failed call with 4000 + its status; the client leaving cancels the calls
 * (a PTY or background process keeps running).
 */
export async function runBridge(options: BridgeOptions): Promise<void> {
  const { ws, opened, sandboxId, client, metadata, abort, logger } = options;
  const process = { pid: opened.pid };
  let outputDone = false;

  const closeWith = (code: number, reason = "") => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason));
  };
  const closeForError = (err: unknown) => {
    if (abort.signal.aborted) return;
    if (hasGrpcStatus(err)) return closeWith(closeCodeFor(err.code), err.details);
    logger.error({ err }, "bridge failed");
    closeWith(closeCodeFor(Status.INTERNAL), "internal error");
  };
  const control = (message: ServerControl) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const input = createInputCoalescer({ onFull: () => ws.pause(), onRoom: () => ws.resume() });
  let inputCall: Promise<unknown> | undefined;
  async function* inputMessages() {
    yield { sandboxId, process, data: Buffer.alloc(0) };
    for await (const data of input.batches) yield { data };
  }
  const startInput = () => {
    inputCall = client.streamProcessInput(inputMessages(), { metadata, signal: abort.signal }).catch((err: unknown) => {
      // After the process ended its input has nowhere to go; that is no error of the bridge.
      if (!outputDone) closeForError(err);
    });
  };

  ws.on("message", (data: RawData, isBinary: boolean) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      if (!inputCall) startInput();
      input.push(bytes);
      return;
    }
    const resize = parseClientControl(bytes.toString("utf8"));
    if (!resize) return closeWith(closeCodes.unsupported, 'text frames carry JSON control: {"type":"resize","cols":N,"rows":N}');
    // A refused resize (the process has no terminal) leaves the bridge as it was; a lost sandbox ends the output anyway.
    client.updateProcess({ sandboxId, process, pty: { cols: resize.cols, rows: resize.rows } }, { metadata, signal: abort.signal }).catch((err: unknown) => {
      if (!abort.signal.aborted) logger.debug({ err }, "resize refused");
    });
  });
  const left = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  ws.once("close", () => {
    input.end();
    abort.abort();
  });

  control({ type: "started", pid: opened.pid, tag: opened.tag });
  const pacer = createOutputPacer(ws, options.highWaterBytes);
  try {
    for (;;) {
      const next = await opened.events.next();
      if (next.done) break;
      const event = next.value.event;
      const data = event?.data?.pty ?? event?.data?.stdout ?? event?.data?.stderr;
      if (data) await pacer.send(data);
      else if (event?.truncated) control({ type: "truncated", droppedBytes: Number(event.truncated.droppedBytes) });
      else if (event?.end) {
        outputDone = true;
        control({ type: "exit", exitCode: event.end.exitCode, signal: event.end.signal });
        break;
      }
      if (ws.readyState !== ws.OPEN) break;
    }
    outputDone = true;
    closeWith(closeCodes.normal);
  } catch (err) {
    outputDone = true;
    closeForError(err);
  }
  await left;
  await inputCall;
}
