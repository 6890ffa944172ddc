import { createHash } from 'node:crypto';
import type { Checkpoint } from '@vae/format/checkpoint';

/** sha256 over every tensor of a checkpoint (weights, BatchNorm state, Adam moments) in header order: equal hashes are bit-identical runs. */
export function stateHash(c: Checkpoint): string {
  const h = createHash('sha256');
  for (const t of c.header.tensors) {
    const v = c.tensors.get(t.name)!;
    h.update(t.name).update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return h.digest('hex');
}
