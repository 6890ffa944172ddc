/**
 * `@vae/format/node`: what the packages share that needs Node (`node:fs`), kept
 * out of the main entry so the SDK's browser bundle never sees it.
 *
 * @example
 * ```ts
 * import { readRegularFile } from '@vae/format/node';
 * const bytes = await readRegularFile('models/mnist/encoder.onnx', 2 ** 31 - 1);
 * ```
 *
 * @packageDocumentation
 */
export { readRegularFile, fileKind, FileReadRefusedError } from './read-regular-file.js';
