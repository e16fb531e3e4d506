// The README shows JSON with "…" for what differs from run to run. This
// reads that notation into a shape and checks real output against it:
//   {…, "a": 1, …}   an object that may have keys besides the ones shown
//   […]              any array
//   "sb-…"           a string with that prefix (and suffix, if text follows …)
//   "pid":…          any value
// Keys shown must be present and, unless "…" says otherwise, be the only
// ones; strings and booleans must be equal; numbers must be numbers.

export type Shape =
  | { kind: "object"; keys: Map<string, Shape>; open: boolean }
  | { kind: "array"; items: Shape[]; open: boolean }
  | { kind: "string"; value: string }
  | { kind: "number" }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "any" };

const ellipsis = "…";

/** Parses README JSON (with …) at the start of `text`; returns the shape and the rest of the text. */
export function parseShape(text: string): { shape: Shape; rest: string } {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${at} in ${text}`);
  };
  const space = () => {
    while (/\s/.test(text[at] ?? "")) at++;
  };
  const value = (): Shape => {
    space();
    const c = text[at];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return { kind: "string", value: string() };
    if (c === ellipsis) return at++, { kind: "any" };
    if (text.startsWith("true", at)) return (at += 4), { kind: "boolean", value: true };
    if (text.startsWith("false", at)) return (at += 5), { kind: "boolean", value: false };
    if (text.startsWith("null", at)) return (at += 4), { kind: "null" };
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
    if (number) return (at += number[0].length), { kind: "number" };
    return fail("unexpected character");
  };
  const string = (): string => {
    const end = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(at));
    if (!end) fail("unterminated string");
    at += end![0].length;
    return JSON.parse(end![0]) as string;
  };
  const object = (): Shape => {
    at++;
    const keys = new Map<string, Shape>();
    let open = false;
    for (;;) {
      space();
      if (text[at] === "}") return at++, { kind: "object", keys, open };
      if (text[at] === ellipsis) {
        at++;
        open = true;
      } else {
        const key = string();
        space();
        if (text[at++] !== ":") fail("expected :");
        keys.set(key, value());
      }
      space();
      if (text[at] === ",") at++;
      else if (text[at] !== "}") fail("expected , or }");
    }
  };
  const array = (): Shape => {
    at++;
    const items: Shape[] = [];
    let open = false;
    for (;;) {
      space();
      if (text[at] === "]") return at++, { kind: "array", items, open };
      if (text[at] === ellipsis) {
        at++;
        open = true;
      } else items.push(value());
      space();
      if (text[at] === ",") at++;
      else if (text[at] !== "]") fail("expected , or ]");
    }
  };
  const shape = value();
  return { shape, rest: text.slice(at) };
}

/** Why `actual` does not have the shape, or null when it does. */
export function mismatch(shape: Shape, actual: unknown, path = "$"): string | null {
  switch (shape.kind) {
    case "object": {
      if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return `${path}: expected an object`;
      const record = actual as Record<string, unknown>;
      for (const [key, inner] of shape.keys) {
        if (!(key in record)) return `${path}.${key}: missing`;
        const why = mismatch(inner, record[key], `${path}.${key}`);
        if (why) return why;
      }
      if (!shape.open) {
        const extra = Object.keys(record).filter((key) => !shape.keys.has(key));
        if (extra.length > 0) return `${path}: unexpected keys ${extra.join(", ")}`;
      }
      return null;
    }
    case "array": {
      if (!Array.isArray(actual)) return `${path}: expected an array`;
      if (shape.open && shape.items.length === 0) return null;
      if (!shape.open && actual.length !== shape.items.length) return `${path}: expected ${shape.items.length} items, got ${actual.length}`;
      for (const [i, inner] of shape.items.entries()) {
        const why = mismatch(inner, actual[i], `${path}[${i}]`);
        if (why) return why;
      }
      return null;
    }
    case "string": {
      if (typeof actual !== "string") return `${path}: expected a string`;
      const cut = shape.value.indexOf(ellipsis);
      if (cut < 0) return actual === shape.value ? null : `${path}: expected ${JSON.stringify(shape.value)}, got ${JSON.stringify(actual)}`;
      const prefix = shape.value.slice(0, cut);
      const suffix = shape.value.slice(cut + 1);
      const ok = actual.startsWith(prefix) && actual.endsWith(suffix) && actual.length >= prefix.length + suffix.length;
      return ok ? null : `${path}: expected ${JSON.stringify(shape.value)}, got ${JSON.stringify(actual)}`;
    }
    case "number":
      return typeof actual === "number" ? null : `${path}: expected a number, got ${JSON.stringify(actual)}`;
    case "boolean":
      return actual === shape.value ? null : `${path}: expected ${shape.value}, got ${JSON.stringify(actual)}`;
    case "null":
      return actual === null ? null : `${path}: expected null`;
    case "any":
      return actual === undefined ? `${path}: missing` : null;
  }
}

/**
 * Whether the output lines follow the expected ones in order, each expected
 * line matching one or more consecutive output lines (streams repeat a line
 * shape: one data event per chunk, several writes of one file). Returns why not.
 */
export function linesMismatch(expected: Shape[], actual: unknown[]): string | null {
  // ok[i][j]: expected[0..i) matches actual[0..j) with expected[i-1] taking actual[j-1].
  const ok = Array.from({ length: expected.length + 1 }, () => new Array<boolean>(actual.length + 1).fill(false));
  ok[0][0] = true;
  for (let i = 1; i <= expected.length; i++) {
    for (let j = 1; j <= actual.length; j++) {
      if (mismatch(expected[i - 1], actual[j - 1]) !== null) continue;
      ok[i][j] = ok[i - 1][j - 1] || ok[i][j - 1];
    }
  }
  if (ok[expected.length][actual.length]) return null;
  // Name the first expected line no output line matches, or the first output line nothing explains.
  for (const [i, shape] of expected.entries()) {
    if (!actual.some((line) => mismatch(shape, line) === null)) {
      const near = actual.map((line) => mismatch(shape, line)).find((why) => why !== null);
      return `expected line ${i + 1} matched no output line (${near ?? "no output"})`;
    }
  }
  return "the output lines are not in the order shown, or there are lines the README does not show";
}
