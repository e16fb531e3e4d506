import { readFile } from "node:fs/promises";

export interface Listener {
  address: string;
  port: number;
}

const listenState = "0A";

/**
 * TCP listeners from /proc/net/tcp and /proc/net/tcp6: two small reads per
 * scan, no walk of /proc/PID/fd (which is slow and was unsafe around
 * snapshots). The files belong to the reader's network namespace.
 */
export async function readListeners(paths = ["/proc/net/tcp", "/proc/net/tcp6"]): Promise<Listener[]> {
  const out = new Map<string, Listener>();
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const l of parseProcNetTcp(text)) out.set(listenerKey(l), l);
  }
  return [...out.values()];
}

export function parseProcNetTcp(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[3] !== listenState) continue;
    const [hexAddr, hexPort] = fields[1].split(":");
    if (!hexAddr || !hexPort) continue;
    const address = hexAddr.length === 8 ? ipv4(hexAddr) : ipv6(hexAddr);
    if (address) listeners.push({ address, port: parseInt(hexPort, 16) });
  }
  return listeners;
}

export function listenerKey(l: Listener): string {
  return `${l.address}|${l.port}`;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

/** The kernel prints the address as 32-bit words in host (little-endian) order. */
function ipv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join(".");
}

function ipv6(hex: string): string | undefined {
  if (hex.length !== 32) return undefined;
  const bytes: number[] = [];
  for (let w = 0; w < 4; w += 1) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b -= 1) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) {
    return `::ffff:${bytes.slice(12).join(".")}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return compress(groups);
}

/** RFC 5952 form: the longest run of zero groups becomes "::". */
function compress(groups: string[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i += 1;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j += 1;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLen).join(":")}`;
}
