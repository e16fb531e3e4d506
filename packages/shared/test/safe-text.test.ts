import { describe, expect, it } from "vitest";
import { maxStatusMessageBytes, quoteForMessage, safeCutIndex, safeStatusMessage, wellFormedText } from "../src/safe-text.js";

/** What grpc-js does to every status message; it throws on text that is not well-formed. */
const sendable = (text: string) => decodeURI(encodeURI(text));
const isWellFormed = (text: string) => !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""));
const bytes = (text: string) => Buffer.byteLength(text);

describe("safeStatusMessage", () => {
  it("leaves ordinary text as it is", () => {
    expect(safeStatusMessage('sandbox "sb-0123" not found; größe 🐳')).toBe('sandbox "sb-0123" not found; größe 🐳');
  });

  it("repairs the crash input: astral characters cut in the middle of a surrogate pair", () => {
    const id = "a" + "𝑻".repeat(40);
    const cut = id.slice(0, 64); // what the old code did: ends with a lone high surrogate
    expect(() => encodeURI(cut)).toThrow(URIError);
    const safe = safeStatusMessage(`sandbox_id must look like "sb-", got "${cut}…"`);
    expect(sendable(safe)).toBe(safe);
    expect(isWellFormed(safe)).toBe(true);
    expect(safe).toContain("𝑻".repeat(31) + "\uFFFD…");
  });

  it("replaces lone surrogates anywhere, high or low", () => {
    expect(safeStatusMessage("a\uD835b\uDC7Bc\uD835")).toBe("a\uFFFDb\uFFFDc\uFFFD");
    expect(safeStatusMessage("\uDC7B\uD835\uDC7B")).toBe("\uFFFD𝑻");
  });

  it("removes NUL and other control characters, and makes line breaks spaces", () => {
    const safe = safeStatusMessage("a\u0000b\u0007c\u001bd\u007fe\u0085f\nline\r\ttab\u2028x");
    expect(safe).toBe("a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf line  tab x");
    expect(safe).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it("removes bidirectional overrides that would make a message read as something else", () => {
    expect(safeStatusMessage("file \u202Etxt.exe")).toBe("file \uFFFDtxt.exe");
  });

  it("bounds a 1 MiB message to 1 KiB of UTF-8, ending with an ellipsis", () => {
    for (const unit of ["x", "é", "€", "😀", "\u0000", "\uD835"]) {
      const safe = safeStatusMessage(unit.repeat(1024 * 1024));
      expect(bytes(safe)).toBeLessThanOrEqual(maxStatusMessageBytes);
      expect(bytes(safe)).toBeGreaterThan(maxStatusMessageBytes - 8);
      expect(safe.endsWith("…")).toBe(true);
      expect(sendable(safe)).toBe(safe);
    }
  });

  it("keeps a message of exactly the limit whole and cuts one byte more", () => {
    expect(safeStatusMessage("x".repeat(maxStatusMessageBytes))).toBe("x".repeat(maxStatusMessageBytes));
    const cut = safeStatusMessage("x".repeat(maxStatusMessageBytes + 1));
    expect(cut).toBe("x".repeat(maxStatusMessageBytes - 3) + "…");
  });

  it("never cuts inside a character or a grapheme cluster", () => {
    // Family emoji (ZWJ sequence, 11 units), flags (regional indicator pairs), combining marks.
    const family = "👨‍👩‍👧‍👦";
    for (const unit of [family, "🇫🇷", "e\u0301", "👍🏽"]) {
      for (let pad = 0; pad < 12; pad++) {
        const safe = safeStatusMessage("x".repeat(pad) + unit.repeat(400), 100);
        const body = safe.slice(pad, -1);
        expect(body.length % unit.length, `${JSON.stringify(unit)} with ${pad} before`).toBe(0);
        expect(body).toBe(unit.repeat(body.length / unit.length));
      }
    }
  });

  it("falls back to a code point cut for one grapheme longer than the limit", () => {
    const zalgo = "a" + "\u0301".repeat(2000);
    const safe = safeStatusMessage(zalgo);
    expect(bytes(safe)).toBeLessThanOrEqual(maxStatusMessageBytes);
    expect(safe.startsWith("a\u0301")).toBe(true);
  });

  it("turns anything into text", () => {
    expect(safeStatusMessage(undefined)).toBe("");
    expect(safeStatusMessage(42)).toBe("42");
  });
});

describe("wellFormedText", () => {
  it("keeps the length in UTF-16 units", () => {
    const input = "\uD835x\u0000\uDC7B\n";
    expect(wellFormedText(input)).toHaveLength(input.length);
  });
});

describe("safeCutIndex", () => {
  it("moves a cut out of a surrogate pair", () => {
    expect(safeCutIndex("a𝑻b", 2)).toBe(1);
    expect(safeCutIndex("a𝑻b", 3)).toBe(3);
  });
});

describe("quoteForMessage", () => {
  it("quotes short values whole, with controls visible", () => {
    expect(quoteForMessage("sb-1")).toBe('"sb-1"');
    expect(quoteForMessage("a\u0000b")).toBe('"a\\u0000b"');
  });

  it("cuts long values after 64 code points, never inside one", () => {
    const quoted = quoteForMessage("a" + "𝑻".repeat(40));
    expect(quoted).toBe(`"a${"𝑻".repeat(40)}"`);
    const long = quoteForMessage("𝑻".repeat(100));
    expect(long).toBe(`"${"𝑻".repeat(64)}…"`);
    expect(isWellFormed(long)).toBe(true);
  });

  it("shows a lone surrogate as an escape, so the message stays well-formed", () => {
    const quoted = quoteForMessage("x\uD835");
    expect(quoted).toBe('"x\\ud835"');
    expect(sendable(quoted)).toBe(quoted);
  });
});
