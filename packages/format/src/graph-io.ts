/**
 * The names of the encoder's and decoder's inputs and outputs. The exporter
 * writes them into the ONNX graphs and `model.json`, `parseManifest` requires
 * them, and the SDK feeds and fetches by them: one spelling for all three.
 */

/** Every graph input/output name, keyed by itself so call sites read `GRAPH_IO.mu`. */
export const GRAPH_IO = /* @__PURE__ */ Object.freeze({
  /** Encoder input: images, NCHW float32 in [0, 1]. Also the decoder's output of Bernoulli means (`sigmoid(logits)`). */
  x: 'x',
  /** Decoder input: latent codes `[N, latent]`. */
  z: 'z',
  /** Encoder and decoder input of a conditional model only: one-hot labels `[N, classes]`, float32. */
  y: 'y',
  /** Encoder output: mean of q(z|x), `[N, latent]`. */
  mu: 'mu',
  /** Encoder output: log-variance of q(z|x), `[N, latent]`, clipped as the architecture says. */
  logvar: 'logvar',
  /** Decoder output: Bernoulli logits before the sigmoid, NCHW. */
  logits: 'logits',
} as const);

/** One of the graph I/O names. */
export type GraphIoName = (typeof GRAPH_IO)[keyof typeof GRAPH_IO];

/** Name of the symbolic batch dimension in every graph's shapes. */
export const BATCH_DIM = 'N';
