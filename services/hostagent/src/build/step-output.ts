import { StringDecoder } from "node:string_decoder";

/** Largest text of one output event, in UTF-8 bytes. */
export const maxOutputEventBytes = 64 * 1024;
/** Output of one step kept as events; past it one note says the rest was dropped (the log is held in memory). */
export const maxStepOutputBytes = 16 * 1024 * 1024;
/** Bytes of a failed step's output quoted in its failure event. */
export const outputTailBytes = 4096;

type Stream = "stdout" | "stderr";

/**
 * Turns a step's raw output into events: each stream decoded on its own (a
 * character split across reads is held until its last byte arrives, invalid
 * bytes become U+FFFD), cut into pieces of at most 64 KiB at character
 * boundaries. Keeps the tail of both streams for a failure report.
 */
export class StepOutput {
  private readonly decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  private emitted = 0;
  private dropped = false;
  private tail = "";

  constructor(private readonly emit: (stream: Stream, text: string) => void) {}

  write(stream: Stream, bytes: Uint8Array): void {
    this.text(stream, this.decoders[stream].write(Buffer.from(bytes)));
  }

  /** Flushes a trailing incomplete character (as U+FFFD). */
  end(): void {
    for (const stream of ["stdout", "stderr"] as const) this.text(stream, this.decoders[stream].end());
  }

  outputTail(): string {
    return this.tail;
  }

  private text(stream: Stream, text: string): void {
    if (text === "") return;
    this.tail = cutToBytesFromEnd(this.tail + text, outputTailBytes);
    for (const piece of splitUtf8(text, maxOutputEventBytes)) {
      if (this.emitted >= maxStepOutputBytes) {
        if (!this.dropped) this.emit("stderr", `[wrenn: output past ${maxStepOutputBytes / 1024 / 1024} MiB of this step is not kept]\n`);
        this.dropped = true;
        return;
      }
      this.emitted += Buffer.byteLength(piece);
      this.emit(stream, piece);
    }
  }
}

/** Pieces of `text` of at most `maxBytes` UTF-8 bytes each, never splitting a surrogate pair. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    let units = 0;
    let bytes = 0;
    while (units < rest.length) {
      const code = rest.codePointAt(units)!;
      const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (bytes + size > maxBytes) break;
      bytes += size;
      units += code >= 0x10000 ? 2 : 1;
    }
    pieces.push(rest.slice(0, units));
    rest = rest.slice(units);
  }
  if (rest !== "") pieces.push(rest);
  return pieces;
}

/** The end of `text` within `maxBytes` UTF-8 bytes. */
function cutToBytesFromEnd(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let start = Math.max(0, text.length - maxBytes);
  while (Buffer.byteLength(text.slice(start)) > maxBytes) start++;
  // Not inside a surrogate pair.
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start++;
  return text.slice(start);
}
