/**
 * The emoji model's files as URLs (file: URLs in Node, bundler asset URLs in
 * browsers): structurally a `ModelUrls` source of `@vae/sdk`.
 */
export interface EmojiModelUrls {
  /** `model.json`. */
  readonly manifest: URL;
  /** The encoder graph (`encoder.onnx`). */
  readonly encoder: URL;
  /** The decoder graph (`decoder.onnx`). */
  readonly decoder: URL;
}

/**
 * The emoji model as a `VAE.load` source.
 *
 * @example
 * ```ts
 * import { VAE } from '@vae/sdk';
 * import emoji from '@vae/model-emoji';
 * const vae = await VAE.load(emoji);
 * ```
 */
declare const emoji: EmojiModelUrls;
export default emoji;
