export interface InputCoalescerOptions {
  /** How long the first byte of a batch waits for more (keystrokes of one burst). */
  windowMs?: number;
  /** A batch is sent at once when it reaches this size. */
  maxBatchBytes?: number;
  /** Input held (batched and not yet taken) beyond which `onFull` asks the client to stop sending. */
  maxHeldBytes?: number;
  onFull(): void;
  /** Held input fell to half of `maxHeldBytes`. */
  onRoom(): void;
}

export interface InputCoalescer {
  push(data: Buffer): void;
  /** No more input: the batches end after what is held. */
  end(): void;
  /** The batches, in order; taking one is what makes room (back-pressure from the input call). */
  batches: AsyncIterable<Buffer>;
}

/**
 * Turns keystrokes into few messages: input after a quiet spell of
 * `windowMs` goes at once; what follows within `windowMs` of the last
 * message, up to `maxBatchBytes`, travels as one StreamProcessInput
 * message (one frame per key would be one gRPC message, one relay hop and one
 * write in envd each). A process that stops reading its input stops the input
 * call, then this, then (through `onFull`) the client's socket.
 */
export function createInputCoalescer(options: InputCoalescerOptions): InputCoalescer {
  const windowMs = options.windowMs ?? 5;
  const maxBatchBytes = options.maxBatchBytes ?? 64 * 1024;
  const maxHeldBytes = options.maxHeldBytes ?? 1024 * 1024;
  let open: Buffer[] = [];
  let openBytes = 0;
  const ready: Buffer[] = [];
  let heldBytes = 0;
  let full = false;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let lastCut = -Infinity;

  function cut() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (openBytes === 0) return;
    lastCut = performance.now();
    ready.push(Buffer.concat(open, openBytes));
    open = [];
    openBytes = 0;
    wake?.();
  }

  function push(data: Buffer) {
    if (ended || data.length === 0) return;
    for (let at = 0; at < data.length; ) {
      const piece = data.subarray(at, at + maxBatchBytes - openBytes);
      open.push(piece);
      openBytes += piece.length;
      at += piece.length;
      if (openBytes >= maxBatchBytes) cut();
    }
    heldBytes += data.length;
    // A key after a quiet spell goes at once (no added latency); keys right behind it wait for the window.
    if (openBytes > 0 && !timer) {
      if (performance.now() - lastCut >= windowMs) cut();
      else timer = setTimeout(cut, windowMs);
    }
    if (!full && heldBytes > maxHeldBytes) {
      full = true;
      options.onFull();
    }
  }

  async function* batches(): AsyncGenerator<Buffer> {
    for (;;) {
      const batch = ready.shift();
      if (batch) {
        heldBytes -= batch.length;
        if (full && heldBytes <= maxHeldBytes / 2) {
          full = false;
          options.onRoom();
        }
        yield batch;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }

  return {
    push,
    end() {
      ended = true;
      cut();
      wake?.();
    },
    batches: batches(),
  };
}
