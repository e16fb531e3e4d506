import { randomBytes } from "node:crypto";
import { invalidUtf8 } from "./wire.js";
import type { FuzzTargets } from "./live-stack.js";

/**
 * Adversarial values by proto kind, as raw bytes or varints. Path-like
 * strings stay under /tmp or are relative: the fuzz sandbox is real, and a
 * remove or move of "/" must never be what a fuzzer tries.
 */

const mib = 1024 * 1024;
const hex32 = () => randomBytes(16).toString("hex");

const cache = new WeakMap<FuzzTargets, Buffer[]>();

/** The same targets give the same (cached) list, so per-case encoding stays cheap. */
export function stringValues(targets: FuzzTargets): Buffer[] {
  let values = cache.get(targets);
  if (!values) cache.set(targets, (values = buildStrings(targets)));
  return values;
}

function buildStrings(targets: FuzzTargets): Buffer[] {
  const text = [
    "",
    "a",
    "\u0000",
    "a\u0000b",
    "𝑻".repeat(40), // the id that used to kill the controlplane: cut at 64 UTF-16 units mid-pair
    `a${"%F0%9D%91%BB".repeat(40)}`,
    "😀👩‍👩‍👧‍👦🏳️‍🌈",
    "\u001b[31m\r\n\t\u007f\u0085\u2028\u202e",
    "\ufeff\uffff\ufffe",
    "x".repeat(mib), // 1 MiB
    "𝑻".repeat(mib / 4), // 1 MiB of astral characters
    `sb-${hex32()}`, // valid-shaped id of nothing
    `SB-${hex32().toUpperCase()}`,
    `sb-${hex32()}0`,
    `tpl-${hex32()}`,
    "sb-",
    "../../tmp/fuzz-escape",
    "/tmp/fuzz-" + "d/".repeat(300) + "f",
    "~/fuzz-home",
    "123",
    "-1",
    "4294967296",
    "SIGNAL_KILL",
    targets.sandboxId,
    targets.processTag,
    String(targets.processPid),
  ].map((s) => Buffer.from(s, "utf8"));
  return [...text, ...invalidUtf8];
}

export const varintValues: bigint[] = [
  0n,
  1n,
  2n,
  9n,
  15n,
  127n,
  128n,
  65535n,
  65536n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -1n, // ten bytes on the wire
  -(2n ** 63n),
];

/** Varints no encoder writes: eleven bytes, and one that never ends. */
export const brokenVarints: Buffer[] = [Buffer.from([...Array(10).fill(0xff), 0x01]), Buffer.from(Array(12).fill(0x80))];

export const bytesValues: Buffer[] = [Buffer.alloc(0), Buffer.from([0]), randomBytes(mib), Buffer.from("\u0000\u00ff", "latin1")];

export const fixed64Values: Buffer[] = [
  Buffer.alloc(8),
  Buffer.alloc(8, 0xff),
  doubleBytes(Number.NaN),
  doubleBytes(Number.POSITIVE_INFINITY),
  doubleBytes(-0),
];
export const fixed32Values: Buffer[] = [Buffer.alloc(4), Buffer.alloc(4, 0xff), floatBytes(Number.NaN), floatBytes(Number.NEGATIVE_INFINITY)];

function doubleBytes(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return b;
}

function floatBytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(n);
  return b;
}
