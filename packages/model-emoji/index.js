// The emoji model as a @vae/sdk source: VAE.load(emoji).
// One literal `new URL('…', import.meta.url)` per file, so bundlers (Vite,
// webpack 5, Parcel, esbuild with a loader) emit each file as an asset, and
// without a bundler (Node, a CDN) they are this package's own files: Node reads
// the file: URLs from disk, browsers fetch them. A URL built from a variable
// would be opaque to a bundler and leave the graphs un-emitted.

/**
 * The emoji model's files: `{ manifest, encoder, decoder }` URLs, a
 * `ModelUrls` source for `VAE.load` in Node and in browsers.
 *
 * @example
 * ```ts
 * import { VAE } from '@vae/sdk';
 * import emoji from '@vae/model-emoji';
 * const vae = await VAE.load(emoji);
 * const faces = await vae.sample(16, { seed: 1 }); // [16, 3, 64, 64]
 * ```
 */
const emoji = Object.freeze({
  manifest: new URL('./models/emoji/model.json', import.meta.url),
  encoder: new URL('./models/emoji/encoder.onnx', import.meta.url),
  decoder: new URL('./models/emoji/decoder.onnx', import.meta.url),
});

export default emoji;
