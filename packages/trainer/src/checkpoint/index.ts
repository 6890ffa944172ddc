/**
 * tfjs-free checkpoint access: the exporter and tests read checkpoints through
 * this entry (`@vae/trainer/checkpoint`) without loading the training stack.
 */
export * from './format.js';
export { readCheckpoint, writeFileAtomic, resolveCheckpointPath } from './io.js';
export * from '../model/arch.js';
