import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { CloseStdinRequest, ProcessInput, SendInputRequest, StreamInputRequest } from "@wrenn/gen/e2b/process/process_pb.js";
import type { StreamProcessInputRequest } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { PublicEnvdClients } from "./envd-calls.js";
import { envdCallerOf, publicCallOptions, relayUnary, toConnectError } from "./process-calls.js";
import { toWrennSelector } from "./process-selector.js";

/** The bytes of E2B's input oneof: stdin or pty are one stream to Wrenn (a PTY process reads its terminal). */
function inputBytes(input: ProcessInput | undefined): Uint8Array {
  const chosen = input?.input;
  return chosen?.case === "stdin" || chosen?.case === "pty" ? chosen.value : new Uint8Array();
}

export function sendInputHandler(clients: PublicEnvdClients) {
  return async function sendInput(request: SendInputRequest, context: HandlerContext) {
    const caller = envdCallerOf(context);
    const process = toWrennSelector(request.process);
    await relayUnary(context, () =>
      clients.process.sendProcessInput({ sandboxId: caller.sandboxId, process, data: Buffer.from(inputBytes(request.input)) }, publicCallOptions(caller, context)),
    );
    return {};
  };
}

export function closeStdinHandler(clients: PublicEnvdClients) {
  return async function closeStdin(request: CloseStdinRequest, context: HandlerContext) {
    const caller = envdCallerOf(context);
    const process = toWrennSelector(request.process);
    await relayUnary(context, () => clients.process.closeProcessStdin({ sandboxId: caller.sandboxId, process }, publicCallOptions(caller, context)));
    return {};
  };
}

/**
 * E2B's StreamInput (the Python SDK's typing): a start event naming the
 * process, then data and keepalive events, relayed as one public
 * StreamProcessInput call. A stream whose first event is not start, or that
 * names its process again differently, is InvalidArgument.
 */
export function streamInputHandler(clients: PublicEnvdClients) {
  return async function streamInput(requests: AsyncIterable<StreamInputRequest>, context: HandlerContext) {
    const caller = envdCallerOf(context);
    const it = requests[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw new ConnectError("the input stream is empty: its first event must be start", Code.InvalidArgument);
    if (first.value.event.case !== "start") throw new ConnectError("the input stream's first event must be start, naming the process", Code.InvalidArgument);
    const process = toWrennSelector(first.value.event.value.process);

    async function* relayed(): AsyncGenerator<StreamProcessInputRequest> {
      yield { sandboxId: caller.sandboxId, process, data: Buffer.alloc(0) };
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        const event = next.value.event;
        if (event.case === "start") throw new ConnectError("start may only be the input stream's first event", Code.InvalidArgument);
        if (event.case === "data") {
          const data = inputBytes(event.value.input);
          if (data.length > 0) yield { sandboxId: caller.sandboxId, process: undefined, data: Buffer.from(data) };
        }
      }
    }

    // An error in our own reading of the stream (a second start) must reach the SDK as is, not as the aborted call's.
    let refusal: ConnectError | undefined;
    const source = (async function* () {
      try {
        yield* relayed();
      } catch (err) {
        refusal = toConnectError(err);
        throw refusal;
      }
    })();
    try {
      await clients.process.streamProcessInput(source, publicCallOptions(caller, context));
    } catch (err) {
      throw refusal ?? toConnectError(err, context);
    }
    return {};
  };
}
