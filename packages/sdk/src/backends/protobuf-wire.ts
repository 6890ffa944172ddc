/**
 * The protobuf wire format, as far as {@link dequantizeForWebgl} needs it: a
 * reader that splits a message into its fields without copying them (so any
 * field it does not change is written back byte for byte), and a writer for
 * the few fields it does write. Hand-written because protobufjs and ONNX's
 * schema would add more to the WebGL path than the whole rewrite.
 *
 * Every length and count comes from the bytes themselves and is checked
 * against the bytes left before it is used; a truncated or malformed message
 * is a {@link WireError}, never an out-of-range read or a huge allocation.
 * @internal
 */

/** A message that is not valid protobuf wire format; `what` says where. @internal */
export class WireError extends Error {
  override name = 'WireError';
}

/** One field of a message, as found in the bytes. @internal */
export interface WireField {
  /** Field number. */
  readonly no: number;
  /** Wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  readonly wire: number;
  /** The whole field (tag included) in the message's buffer: copied as is when unchanged. */
  readonly start: number;
  readonly end: number;
  /** Wire type 2: where the payload starts (it ends at `end`). */
  readonly body: number;
  /** Wire type 0: the value, as a signed 64-bit integer (exact up to 2^53). */
  readonly value: number;
}

/** Reads a varint at `pos`; returns [value as int64, next position]. */
export function readVarint(buf: Uint8Array, pos: number, end: number, what: string): [number, number] {
  let result = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new WireError(`${what}: a varint runs past the end of its message`);
    const b = buf[pos++];
    if (i === 0 && b < 0x80) return [b, pos];
    result |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) return [Number(BigInt.asIntN(64, result)), pos];
  }
  throw new WireError(`${what}: a varint is longer than 10 bytes`);
}

/** Splits `buf[start, end)` into its fields, in order. */
export function readFields(buf: Uint8Array, start: number, end: number, what: string): WireField[] {
  const out: WireField[] = [];
  let pos = start;
  while (pos < end) {
    const at = pos;
    const [tag, p] = readVarint(buf, pos, end, what);
    pos = p;
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    if (no < 1 || tag < 0) throw new WireError(`${what}: field number ${no} at byte ${at} is not a valid field number`);
    let body = pos;
    let value = 0;
    if (wire === 0) [value, pos] = readVarint(buf, pos, end, what);
    else if (wire === 1 || wire === 5) pos += wire === 1 ? 8 : 4;
    else if (wire === 2) {
      const [len, q] = readVarint(buf, pos, end, what);
      if (len < 0 || len > end - q) throw new WireError(`${what}: field ${no} at byte ${at} declares ${len} bytes, but ${end - q} are left`);
      body = q;
      pos = q + len;
    } else throw new WireError(`${what}: field ${no} at byte ${at} has wire type ${wire}; expected 0, 1, 2 or 5 (groups are not used by ONNX)`);
    if (pos > end) throw new WireError(`${what}: field ${no} at byte ${at} runs past the end of its message`);
    out.push({ no, wire, start: at, end: pos, body, value });
  }
  return out;
}

const decoder = new TextDecoder();

/** A length-delimited field's payload as UTF-8 text. */
export const fieldText = (buf: Uint8Array, f: WireField): string => decoder.decode(buf.subarray(f.body, f.end));

/** The int64 values of a repeated integer field, whether written packed or one per field. */
export function readInts(buf: Uint8Array, fields: readonly WireField[], no: number, what: string): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === 0) out.push(f.value);
    else if (f.wire === 2) {
      for (let p = f.body; p < f.end; ) {
        const [v, q] = readVarint(buf, p, f.end, what);
        out.push(v);
        p = q;
      }
    } else throw new WireError(`${what}: field ${no} has wire type ${f.wire}; expected a varint or packed varints`);
  }
  return out;
}

/** Bytes of a varint (non-negative, below 2^53). */
function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A varint field. */
export const varintField = (no: number, v: number): Uint8Array => Uint8Array.from([...varintBytes(no * 8), ...varintBytes(v)]);

/** A length-delimited field holding `parts`, concatenated. */
export function lenField(no: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  return concat([Uint8Array.from([...varintBytes(no * 8 + 2), ...varintBytes(len)]), ...parts]);
}

/** The parts, one after another, in one new buffer. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
