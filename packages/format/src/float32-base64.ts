/**
 * Float32 arrays as base64 of their little-endian bytes: how `model.json`
 * stores the VampPrior's mixture (exact to the bit, a third larger than the
 * bytes, and decoded in a browser without long decimal lists). Platform-free
 * (no `Buffer`, no `atob`), so the SDK's browser bundle can inline it.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = /* @__PURE__ */ (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

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
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    out += ALPHABET[a >> 2] + ALPHABET[((a & 3) << 4) | (b >> 4)];
    out += i + 1 < bytes.length ? ALPHABET[((b & 15) << 2) | (c >> 6)] : '=';
    out += i + 2 < bytes.length ? ALPHABET[c & 63] : '=';
  }
  return out;
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
  if (text.length % 4 !== 0) return null;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const nBytes = (text.length / 4) * 3 - pad;
  if (nBytes % 4 !== 0) return null;
  const bytes = new Uint8Array(nBytes);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const q: number[] = [];
    for (let j = 0; j < 4; j++) {
      const ch = text.charCodeAt(i + j);
      const last = i + 4 === text.length;
      if (ch === 61 /* = */ && last && j >= 4 - pad) {
        q.push(0);
        continue;
      }
      const v = ch < 128 ? LOOKUP[ch] : -1;
      if (v < 0) return null;
      q.push(v);
    }
    const n = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
    if (o < nBytes) bytes[o++] = (n >> 16) & 255;
    if (o < nBytes) bytes[o++] = (n >> 8) & 255;
    if (o < nBytes) bytes[o++] = n & 255;
  }
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(nBytes / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
