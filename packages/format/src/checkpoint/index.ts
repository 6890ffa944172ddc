/**
 * `@vae/format/checkpoint`: the checkpoint file, read and written with its
 * integrity checks. Node only (node:crypto, node:fs), so it is kept out of the
 * platform-free main entry; tfjs-free, so the exporter reads checkpoints
 * without loading the training stack.
 *
 * @packageDocumentation
 */
export * from './format.js';
export { readCheckpoint, writeFileAtomic, resolveCheckpointPath } from './io.js';
