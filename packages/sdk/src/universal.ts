/**
 * Types for the `default` export condition of `@vae/sdk`, the branch
 * TypeScript's `moduleResolution: "bundler"` resolves (it sets neither `node`
 * nor `browser`). The JS behind that branch is the browser entry, but a Node
 * program type-checked with `bundler` must still see the Node entry's PNG
 * helpers, and a browser one must still get `ImageData` from `toImageData`:
 * so these are the core's types (with the DOM-aware `toImageData`) plus the
 * Node-only exports. No build emits JS for this file; at run time Node picks
 * the `node` branch and bundlers targeting browsers the `browser` one.
 *
 * @example
 * ```ts
 * // tsconfig: "moduleResolution": "bundler"
 * import { VAE, tile, encodePng } from '@vae/sdk'; // types from this file
 * ```
 *
 * @packageDocumentation
 */
export * from './index.js';
export { bundledModelDir } from './node.js';
export { encodePng, decodePng, imagesFromPng } from './node/png.js';
export { CUDA_INSTALL_HINT } from './backends/onnx-node.js';
