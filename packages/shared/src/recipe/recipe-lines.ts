import { RecipeError } from "./recipe-types.js";

/** Largest recipe accepted, in UTF-8 bytes: a recipe is a short text, not a payload. */
export const maxRecipeBytes = 64 * 1024;

/** One logical instruction: continuation lines joined, its first physical line. */
export interface LogicalLine {
  line: number;
  text: string;
}

/**
 * Splits a recipe into logical lines: a trailing "\" joins the next line
 * (with one space), blank lines and "#" comment lines are skipped (also in
 * the middle of a continuation, as Dockerfiles do). Characters that cannot be
 * stored or shown (NUL, other control characters, lone surrogates) are refused
 * with the line they are on.
 */
export function logicalLines(text: string): LogicalLine[] {
  if (Buffer.byteLength(text, "utf8") > maxRecipeBytes) {
    throw new RecipeError(1, `the recipe is larger than ${maxRecipeBytes / 1024} KiB`);
  }
  const physical = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const out: LogicalLine[] = [];
  let pending: LogicalLine | undefined;
  physical.forEach((raw, index) => {
    const lineNo = index + 1;
    checkCharacters(raw, lineNo);
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      return;
    }
    const continues = trimmed.endsWith("\\");
    const part = continues ? trimmed.slice(0, -1).trimEnd() : trimmed;
    if (pending) {
      pending.text = part === "" ? pending.text : `${pending.text} ${part}`;
    } else {
      pending = { line: lineNo, text: part };
    }
    if (!continues) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) {
    // A "\" on the last line joins nothing: the instruction ends there.
    out.push(pending);
  }
  return out;
}

// Tab is the only control character a recipe may hold (line breaks are split off before).
const forbidden = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

function checkCharacters(raw: string, line: number): void {
  const bad = forbidden.exec(raw);
  if (bad) {
    const code = bad[0].codePointAt(0) ?? 0;
    const name = code === 0 ? "NUL" : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    throw new RecipeError(line, `the line holds a ${name} character, which a recipe may not contain`);
  }
  if (/[\uD800-\uDFFF]/.test(raw.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""))) {
    throw new RecipeError(line, "the line holds an invalid character (a lone UTF-16 surrogate)");
  }
}
