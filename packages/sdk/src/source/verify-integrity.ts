/** Integrity: a graph's bytes against the length and sha256 that model.json records. */
import { VAEModelError } from '../errors.js';
import type { ModelManifest } from '../manifest.js';
import { platform } from '../platform.js';

/** Hex sha256: the platform's native hash when it has one, else WebCrypto (global in Node ≥ 20 and in browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (platform.sha256) return platform.sha256(bytes);
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) throw new VAEModelError('cannot verify model checksums: crypto.subtle is unavailable (browsers expose it only in secure contexts)');
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as BufferSource));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Length and sha256 of a graph against the manifest: catches truncation, corruption and swapped models. */
export async function verifyGraphBytes(m: ModelManifest, which: 'encoder' | 'decoder', bytes: Uint8Array): Promise<void> {
  const g = m.graphs[which];
  if (bytes.length !== g.bytes) {
    throw new VAEModelError(
      `${g.file} is ${bytes.length} bytes, expected ${g.bytes} as model.json says${bytes.length < g.bytes ? ' (truncated?)' : ''}`,
    );
  }
  const sha = await sha256Hex(bytes);
  if (sha !== g.sha256) {
    throw new VAEModelError(`${g.file} has sha256 ${sha.slice(0, 16)}…, expected ${g.sha256.slice(0, 16)}… from model.json: a different or corrupted model`);
  }
}
