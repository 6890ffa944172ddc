/**
 * The shapes a model source can take, and what reading one yields. Types only:
 * every step of loading (resolving, reading, checking) imports them from here.
 */
import type { ModelManifest } from '../manifest.js';
import type { ModelDType } from './select-variant.js';

/** Model bytes held in memory, e.g. from a bundler asset or IndexedDB. */
export interface ModelBytes {
  /** Contents of `model.json`: parsed, as text, or as bytes. */
  manifest: ModelManifest | string | Uint8Array;
  /** Bytes of the encoder graph (`encoder.onnx`); checked against the manifest's length and sha256. */
  encoder: Uint8Array | ArrayBuffer;
  /** Bytes of the decoder graph (`decoder.onnx`); checked against the manifest's length and sha256. */
  decoder: Uint8Array | ArrayBuffer;
}

/**
 * The three files of a model as separate URLs (or, in Node, paths): what a
 * bundler gives for `new URL('./model.json', import.meta.url)`-style assets,
 * which may be hashed, moved apart or inlined as `data:` URLs. The graphs are
 * read from `encoder`/`decoder` whatever file names the manifest records.
 */
export interface ModelUrls {
  /** Where `model.json` is: `http(s):`, `file:`, `data:` or `blob:` URL, or (Node) a path. */
  manifest: URL | string;
  /** Where the encoder graph is, under any file name (e.g. a bundler's hashed asset URL). */
  encoder: URL | string;
  /** Where the decoder graph is, under any file name. */
  decoder: URL | string;
}

/**
 * Where to load a model from: a folder path (Node), a URL (string or `URL`,
 * `http(s):`/`file:`/`data:`; the folder holding `model.json`, or `model.json`
 * itself), {@link ModelUrls} (one URL per file) or {@link ModelBytes}.
 */
export type ModelSource = string | URL | ModelUrls | ModelBytes;

/** Bytes of one model file read so far, passed to {@link ReadOptions.onProgress}. */
export interface LoadProgress {
  /** Which file: `model.json`, or the graph's file name from model.json (e.g. `encoder.onnx`). */
  file: string;
  /** Bytes received so far. */
  loaded: number;
  /** The file's full size: for a graph, the byte count model.json declares; for model.json, the server's Content-Length when it sends one. */
  total: number | undefined;
}

/** How a model source is read: cancellation, the idle timeout and progress. */
export interface ReadOptions {
  /** Aborting it stops every request in flight and rejects the load. */
  signal?: AbortSignal;
  /** Milliseconds a URL may go without sending a byte (headers included) before the load fails. */
  timeoutMs: number;
  /** Called as bytes arrive. */
  onProgress?: (p: LoadProgress) => void;
  /** Which precision to read (model.json's `variants`); undefined: the model's own. */
  dtype?: ModelDType;
  /** Whether graphs may come from / go to Cache Storage (`LoadOptions.cache`); default true. */
  cache?: boolean;
  /** Read the encoder only when {@link LoadedModel.readEncoder} is called (`LoadOptions.lazyEncoder`). */
  lazyEncoder?: boolean;
}

/** A manifest with both graphs' bytes, verified against each other. */
export interface LoadedModel {
  /** The validated model.json. */
  manifest: ModelManifest;
  /** Encoder graph bytes, checked against the manifest; undefined until {@link LoadedModel.readEncoder} has read them. */
  encoder?: Uint8Array;
  /** Reads and checks the encoder (then sets {@link LoadedModel.encoder}); present when it was not read with the rest. */
  readEncoder?: () => Promise<Uint8Array>;
  /** Decoder graph bytes, checked against the manifest. */
  decoder: Uint8Array;
  /** Human-readable origin, for `info`. */
  origin: string;
}
