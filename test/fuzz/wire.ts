/**
 * A minimal protobuf wire writer, so the fuzzer can send what no generated
 * encoder would: invalid UTF-8 in strings, a field under the wrong wire
 * type, overlong varints, groups, unknown field numbers.
 */

export const WireType = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

export function varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

export function tag(fieldNo: number, wireType: number): Buffer {
  return varint((BigInt(fieldNo) << 3n) | BigInt(wireType));
}

export function fieldVarint(fieldNo: number, value: bigint): Buffer {
  return Buffer.concat([tag(fieldNo, WireType.varint), varint(value)]);
}

export function fieldBytes(fieldNo: number, value: Buffer): Buffer {
  return Buffer.concat([tag(fieldNo, WireType.bytes), varint(BigInt(value.length)), value]);
}

export function fieldFixed32(fieldNo: number, value: Buffer): Buffer {
  return Buffer.concat([tag(fieldNo, WireType.fixed32), value.subarray(0, 4)]);
}

export function fieldFixed64(fieldNo: number, value: Buffer): Buffer {
  return Buffer.concat([tag(fieldNo, WireType.fixed64), value.subarray(0, 8)]);
}

/** A field encoded under each wire type but its own (and the group markers, and the invalid types 6 and 7). */
export function wrongWireTypes(fieldNo: number, ownType: number): Buffer[] {
  const all: [number, Buffer][] = [
    [WireType.varint, fieldVarint(fieldNo, 0xffff_ffffn)],
    [WireType.fixed64, fieldFixed64(fieldNo, Buffer.alloc(8, 0xff))],
    [WireType.bytes, fieldBytes(fieldNo, Buffer.from([0xff, 0xfe, 0x00, 0x80]))],
    [WireType.startGroup, Buffer.concat([tag(fieldNo, WireType.startGroup), fieldVarint(1, 1n), tag(fieldNo, WireType.endGroup)])],
    [WireType.endGroup, tag(fieldNo, WireType.endGroup)],
    [WireType.fixed32, fieldFixed32(fieldNo, Buffer.alloc(4, 0xff))],
    [6, Buffer.concat([tag(fieldNo, 6), Buffer.from([1, 2, 3])])],
    [7, tag(fieldNo, 7)],
  ];
  return all.filter(([type]) => type !== ownType).map(([, bytes]) => bytes);
}

/** Byte sequences that are not UTF-8 at all (a lone surrogate's encoding, overlong NUL, stray bytes). */
export const invalidUtf8: Buffer[] = [
  Buffer.from([0xed, 0xa0, 0x80]), // U+D800 encoded: a lone surrogate
  Buffer.from([0x61, 0xed, 0xb0, 0x80, 0x62]), // a, U+DC00, b
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0x80, 0xbf]), // stray continuation bytes
  Buffer.from([0xf0, 0x9d, 0x91]), // an astral character cut short
  Buffer.from([0xff, 0xfe]),
];
