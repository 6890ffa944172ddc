/**
 * The MNIST model shipped inside `@vae/sdk`, as assets of this app.
 *
 * `VAE.load()` with no source resolves `../models/mnist/model.json` next to the
 * SDK's module, but a bundler rewrites that `new URL(…, import.meta.url)`:
 * Vite inlines the 2 KB manifest as a `data:` URL (or emits it under a hashed
 * name) and never emits `encoder.onnx`/`decoder.onnx`, so the graphs 404.
 * Importing the package's three files with `?url` makes Vite emit each one
 * (hashed, served by this app, cached offline), and the bytes go to
 * `VAE.load({ manifest, encoder, decoder })`, which checks their sha256
 * against the manifest as usual.
 */
import type { ModelBytes } from '@vae/sdk';
import manifestUrl from '@vae/sdk/models/mnist/model.json?url';
import encoderUrl from '@vae/sdk/models/mnist/encoder.onnx?url';
import decoderUrl from '@vae/sdk/models/mnist/decoder.onnx?url';

let bytes: Promise<ModelBytes> | undefined;

async function get(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} returned HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetches the shipped model once; device switches reuse the bytes. */
export function shippedModel(): Promise<ModelBytes> {
  bytes ??= Promise.all([get(manifestUrl), get(encoderUrl), get(decoderUrl)]).then(([manifest, encoder, decoder]) => ({ manifest, encoder, decoder }));
  return bytes;
}
