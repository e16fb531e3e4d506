/**
 * Text that is safe to send as a gRPC status message (or to log, or to show):
 * well-formed UTF-16, no control characters, bounded, and never cut inside a
 * character. grpc-js percent-encodes the message with `encodeURI`, which
 * throws on a lone surrogate outside any handler and takes the process down,
 * so every status leaving a server passes through `safeStatusMessage`.
 */

/** Upper bound of a status message, in UTF-8 bytes (the ellipsis included). */
export const maxStatusMessageBytes = 1024;

const ellipsis = "…";
const ellipsisBytes = 3;

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Line breaks and tabs read as spaces; a message is one line. */
const lineBreaks = /[\t\n\r\u2028\u2029]/g;
/**
 * Other C0 and C1 controls, DEL, and the bidirectional embedding, override
 * and isolate controls (which can make a message display as something else).
 */
const controls = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u202A-\u202E\u2066-\u2069]/g;

let segmenter: Intl.Segmenter | undefined;

/**
 * Replaces lone surrogates and control characters with U+FFFD (line breaks and
 * tabs with a space). Keeps the string's length in UTF-16 units, so offsets
 * into the result are offsets into the input.
 */
export function wellFormedText(text: string): string {
  return text.replace(loneSurrogate, "\uFFFD").replace(lineBreaks, " ").replace(controls, "\uFFFD");
}

/**
 * The largest index ≤ `limit` at which `text` can be cut without splitting a
 * surrogate pair or, when one exists within the limit, a grapheme cluster
 * (an emoji with modifiers, a letter with combining marks, a flag).
 */
export function safeCutIndex(text: string, limit: number): number {
  if (limit >= text.length) return text.length;
  if (limit <= 0) return 0;
  let cut = limit;
  if (isHighSurrogate(text.charCodeAt(cut - 1)) && isLowSurrogate(text.charCodeAt(cut))) cut--;
  // Only the text up to the code point after the cut decides the boundaries up to it.
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  let boundary = 0;
  for (const { index } of segmenter.segment(text.slice(0, cut + 2))) {
    if (index > cut) break;
    boundary = index;
  }
  // One grapheme longer than the whole budget: fall back to the code point cut.
  return boundary > 0 ? boundary : cut;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes with "…" appended when it was cut. */
export function safeStatusMessage(text: unknown, maxBytes = maxStatusMessageBytes): string {
  const raw = typeof text === "string" ? text : String(text ?? "");
  // Every UTF-16 unit is at least one UTF-8 byte: nothing past maxBytes units can be kept.
  const window = raw.length > maxBytes + 1 ? raw.slice(0, maxBytes + 1) : raw;
  const clean = wellFormedText(window);
  if (window.length === raw.length && Buffer.byteLength(clean) <= maxBytes) return clean;
  const budget = Math.max(0, maxBytes - ellipsisBytes);
  return clean.slice(0, safeCutIndex(clean, unitsWithinBytes(clean, budget))) + ellipsis;
}

/**
 * A value quoted for an error message (`"sb-…"`), at most `maxChars` code
 * points of it, cut safely. JSON quoting makes NUL and other controls visible
 * as escapes and keeps lone surrogates as `\udxxx` text.
 */
export function quoteForMessage(value: string, maxChars = 64): string {
  const units = unitsWithinCodePoints(value, maxChars);
  if (units >= value.length) return JSON.stringify(value);
  return JSON.stringify(value.slice(0, safeCutIndex(value, units)) + ellipsis);
}

/** How many UTF-16 units of `text` fit in `maxBytes` UTF-8 bytes, whole code points only. */
function unitsWithinBytes(text: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += code > 0xffff ? 2 : 1;
  }
  return i;
}

/** How many UTF-16 units make up the first `maxChars` code points of `text`. */
function unitsWithinCodePoints(text: string, maxChars: number): number {
  let i = 0;
  for (let n = 0; n < maxChars && i < text.length; n++) {
    i += isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
