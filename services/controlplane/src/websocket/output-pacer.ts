import type { WebSocket } from "ws";

export interface OutputPacer {
  /** Sends one binary frame; resolves once the client has room for more (never drops). */
  send(data: Uint8Array): Promise<void>;
}

/**
 * Output to a client at the client's pace. Bytes given to the socket but
 * not yet written to the kernel are counted (ws's send callback fires once
 * they are); past `highWaterBytes` `send` waits until they fall below half of
 * it, so the caller stops pulling the process's stream and gRPC flow control
 * stops the process. A closed socket resolves every wait (the bridge ends).
 */
export function createOutputPacer(ws: WebSocket, highWaterBytes: number): OutputPacer {
  let unsent = 0;
  let waiting: (() => void) | undefined;
  const release = () => {
    const w = waiting;
    waiting = undefined;
    w?.();
  };
  ws.once("close", release);

  return {
    async send(data) {
      if (ws.readyState !== ws.OPEN) return;
      const size = data.byteLength;
      unsent += size;
      ws.send(data, { binary: true }, () => {
        unsent -= size;
        if (unsent <= highWaterBytes / 2) release();
      });
      while (unsent > highWaterBytes && ws.readyState === ws.OPEN) {
        await new Promise<void>((resolve) => (waiting = resolve));
      }
    },
  };
}
