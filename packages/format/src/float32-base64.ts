/**
 * Float32 arrays as base64 of their little-endian bytes: how `model.json`
 * stores the VampPrior's mixture (exact to the bit, a third larger than the
 * bytes, and decoded in a browser without long decimal lists). Platform-free
 * (the web-standard `btoa`/`atob`, global in browsers and Node 16+; no `Buffer`),
 * so the SDK's browser bundle can inline it.
 */

/** Length of the padded base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/**
 * The little-endian bytes of `values` as padded base64 (RFC 4648).
 *
 * @example
 * ```ts
 * import { float32ToBase64 } from '@vae/format';
 * float32ToBase64(new Float32Array([1])); // 'AACAPw=='
 * ```
 */
export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  let bin = '';
  // In pieces: fromCharCode takes its bytes as arguments, and arguments are limited.
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * Decodes padded base64 of little-endian float32 values; null when the text
 * is not canonical padded base64 or its byte length is not a multiple of 4
 * (the caller names the field in its error).
 *
 * @example
 * ```ts
 * import { base64ToFloat32 } from '@vae/format';
 * base64ToFloat32('AACAPw=='); // Float32Array [1]
 * ```
 */
export function base64ToFloat32(text: string): Float32Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    return null;
  }
  if (bin.length % 4 !== 0) return null;
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float32Array(bin.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
