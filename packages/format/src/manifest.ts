/**
 * `model.json`: the manifest that sits beside `encoder.onnx` and `decoder.onnx`.
 *
 * The exporter writes it and the SDK validates it (`parseManifest`) against
 * the graphs it loads; both take the schema from here, so it has one owner.
 */

/** Element type of a graph input or output. */
export type ManifestDType = 'float32' | 'float16';

/** One graph input or output. A string dimension is symbolic (the batch, `"N"`). */
export interface ManifestValueInfo {
  name: string;
  shape: (number | string)[];
  dtype: ManifestDType;
}

/** One ONNX graph file and what it promises. */
export interface ManifestGraph {
  /** File name relative to `model.json`. */
  file: string;
  /** sha256 of the file bytes, lower-case hex. */
  sha256: string;
  /** Length of the file in bytes (a shorter file is reported as truncated). */
  bytes: number;
  /** The graph's inputs, in order, as the exporter declared them (checked against the started session). */
  inputs: ManifestValueInfo[];
  /** The graph's outputs, in order (checked against the started session). */
  outputs: ManifestValueInfo[];
}

/** Test-set metrics of the exported weights, per image, in nats. */
export interface ManifestMetrics {
  testLoss: number;
  testRecon: number;
  testKL: number;
  [extra: string]: number;
}

/**
 * What a conditional model is conditioned on. Absent on an unconditional
 * model, whose graphs take no `y`.
 */
export interface ManifestCondition {
  /** A class label, fed to both graphs one-hot as `y` `[N, classes]` float32. */
  type: 'class';
  classes: number;
  /** Human-readable class names, `classes` of them (`"0"` … `"9"` for MNIST). */
  names: string[];
}

/**
 * The data set a model was trained on, as the export knows it: its name (from
 * `vae-export --data-name`, else the checkpoint's dataset), and, for an image
 * folder, how each image was prepared before it was resized to `imageShape`.
 * Absent on models exported before it existed and on IDX models (MNIST), whose
 * `dataset` says it all.
 */
export interface ManifestData {
  /** Human-readable data set name, e.g. `"emoji (Noto Color Emoji)"`. */
  name: string;
  /** Side in pixels of the centre square cropped from each image before resizing. */
  crop?: number;
  /** Colour transparent pixels were composited on, as the trainer was given it (e.g. `"white"`, `"#000000"`). */
  background?: string;
}

/**
 * A float32 matrix stored exactly and compactly: `base64` holds the
 * `shape[0] * shape[1]` values row-major as little-endian float32 bytes
 * (padded RFC 4648 base64; see `float32ToBase64`).
 */
export interface ManifestFloat32Matrix {
  dtype: 'float32';
  shape: [number, number];
  base64: string;
}

/**
 * A VampPrior model's prior (see `PriorConfig` in the arch spec): the mixture
 * `p(z) = 1/K sum_k N(z; mean_k, diag exp(logVar_k))`, with each component
 * the encoder's posterior at one learned pseudo-input, computed by the
 * exporter. Absent: the standard normal N(0, I). The graphs do not contain it.
 */
export interface ManifestPrior {
  kind: 'vamp';
  /** Number of mixture components K. */
  components: number;
  /** Component means, `[K, latent]`. */
  mean: ManifestFloat32Matrix;
  /** Component log-variances (already clamped like the encoder's), `[K, latent]`. */
  logVar: ManifestFloat32Matrix;
}

/** Weight precision of a model's graphs (transformers.js calls it `dtype`). */
export type ManifestPrecision = 'fp32' | 'fp16' | 'int8';

/** Every {@link ManifestPrecision}, in the order a manifest lists variants. */
export const MANIFEST_PRECISIONS: readonly ManifestPrecision[] = Object.freeze(['fp32', 'fp16', 'int8']);

/** The two graph files of one precision. */
export interface ManifestGraphs {
  encoder: ManifestGraph;
  decoder: ManifestGraph;
}

/** The whole manifest. */
export interface ModelManifest {
  format: 'vae-onnx-model';
  formatVersion: 1;
  /** Model name, e.g. `"mnist"`. */
  name: string;
  /** Architecture name (`small`, `base`, `mlp`, `celeba`). */
  arch: string;
  /** The architecture's config as the trainer stored it. */
  archConfig: Record<string, unknown>;
  latent: number;
  /** Image shape as `[channels, height, width]` (NCHW without the batch). */
  imageShape: [number, number, number];
  dataset: string;
  /** The training data's name and preparation ({@link ManifestData}); optional. */
  data?: ManifestData;
  /** Present only on a conditional model: its label's classes. */
  condition?: ManifestCondition;
  /** Present only on a model with a learned prior (VampPrior); absent: z ~ N(0, I). */
  prior?: ManifestPrior;
  training: {
    epochs: number;
    metrics: ManifestMetrics | null;
    /** The command that produced the checkpoint, when known. */
    command?: string;
  };
  /**
   * Weight precision inside the graphs; inputs and outputs are always float32.
   * `int8`: per-channel int8 kernels widened by DequantizeLinear, float32 biases.
   */
  precision: ManifestPrecision;
  onnx: {
    opset: number;
    irVersion: number;
    producer: { name: string; version: string };
  };
  graphs: {
    /** Inputs `x` `[N,C,H,W]` from `imageShape` (and `y` `[N,classes]` when conditional); outputs `mu`, `logvar` `[N,latent]`. */
    encoder: ManifestGraph;
    /** Input `z` `[N,latent]` (and `y` `[N,classes]` when conditional); outputs `x` (sigmoid means) and `logits`, `[N,C,H,W]`. */
    decoder: ManifestGraph;
  };
  /** ISO 8601 creation time. */
  createdAt: string;
  /**
   * The same weights stored at other precisions, beside model.json (e.g.
   * `encoder_int8.onnx`), keyed by precision; `graphs` is the `precision`
   * variant. Same inputs and outputs as `graphs`.
   */
  variants?: { [P in ManifestPrecision]?: ManifestGraphs };
}

/** The manifest format version the exporter writes and the SDK reads. */
export const MANIFEST_FORMAT_VERSION = 1;
