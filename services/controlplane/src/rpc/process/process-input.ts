import { errors } from "@wrenn/shared";
import type { StreamInputRequest } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type {
  CloseProcessStdinRequest,
  CloseProcessStdinResponse,
  SendProcessInputRequest,
  SendProcessInputResponse,
  StreamProcessInputRequest,
  StreamProcessInputResponse,
} from "@wrenn/gen/wrenn/api/v1/process.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { sandboxIdOf } from "../sandbox-id.js";
import type { CallerContext } from "../caller-context.js";
import { principalOf } from "../../identity/principal.js";
import { requireSelector } from "./selector.js";

/** One message of input is bounded like a file chunk; bigger input goes through StreamProcessInput. */
const maxInputBytes = 1024 * 1024;

function checkSize(data: Uint8Array): void {
  if (data.length > maxInputBytes) {
    throw errors.invalidArgument(`data is ${data.length} bytes; send at most ${maxInputBytes} per message (StreamProcessInput for more)`);
  }
}

export function sendProcessInputHandler(resolve: RelayResolver) {
  return async function sendProcessInput(request: SendProcessInputRequest, context: CallerContext): Promise<SendProcessInputResponse> {
    const process = requireSelector(request.process);
    checkSize(request.data);
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    await target.connection.process.sendInput({ process, data: request.data }, { metadata: target.metadata, signal: context.signal });
    return {};
  };
}

/**
 * The first message names the sandbox and the process; later ones carry
 * data. Messages are pulled from the caller only as fast as the host takes them.
 */
export function streamProcessInputHandler(resolve: RelayResolver) {
  return async function streamProcessInput(
    requests: AsyncIterable<StreamProcessInputRequest>,
    context: CallerContext,
  ): Promise<StreamProcessInputResponse> {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) throw errors.invalidArgument("stream_process_input needs a first message naming sandbox_id and process");
    const head = first.value;
    const process = requireSelector(head.process);
    checkSize(head.data);
    const target = await resolve(principalOf(context), sandboxIdOf(head.sandboxId));

    async function* messages(): AsyncGenerator<StreamInputRequest> {
      yield { process, data: head.data };
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        if (next.value.sandboxId && next.value.sandboxId !== head.sandboxId) {
          throw errors.invalidArgument("sandbox_id must be the same in every stream_process_input message");
        }
        checkSize(next.value.data);
        yield { process: undefined, data: next.value.data };
      }
    }

    await target.connection.process.streamInput(messages(), { metadata: target.metadata, signal: context.signal });
    return {};
  };
}

export function closeProcessStdinHandler(resolve: RelayResolver) {
  return async function closeProcessStdin(request: CloseProcessStdinRequest, context: CallerContext): Promise<CloseProcessStdinResponse> {
    const process = requireSelector(request.process);
    const target = await resolve(principalOf(context), sandboxIdOf(request.sandboxId));
    await target.connection.process.closeStdin({ process }, { metadata: target.metadata, signal: context.signal });
    return {};
  };
}
