/**
 * Strict parser for disk sizes such as `2Gi`, `512Mi`, `5G` or a plain byte
 * count. Binary suffixes (Ki, Mi, Gi, Ti) are powers of 1024, decimal ones
 * (K, M, G, T) powers of 1000, matching what Kubernetes users expect. Anything
 * else (spaces, fractions, unknown units, lower-case "gb") is rejected so a
 * typo never silently becomes a tiny or huge disk.
 */
const units: Record<string, number> = {
  "": 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

export class SizeParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SizeParseError";
  }
}

export function parseSize(text: string, what = "size"): number {
  const match = /^([1-9][0-9]*)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(text);
  if (!match) {
    throw new SizeParseError(
      `${what} ${JSON.stringify(text)} is not a size: use a whole number with an optional unit Ki, Mi, Gi, Ti (1024-based) or K, M, G, T (1000-based), e.g. 2Gi, 512Mi, 5G`,
    );
  }
  const bytes = Number(match[1]) * units[match[2] ?? ""];
  if (!Number.isSafeInteger(bytes)) throw new SizeParseError(`${what} ${JSON.stringify(text)} is too large`);
  return bytes;
}

/** Human form for logs and errors: 2147483648 → "2.0 GiB". */
export function formatBytes(bytes: number): string {
  const steps = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < steps.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${value.toFixed(1)} ${steps[i]}`;
}
