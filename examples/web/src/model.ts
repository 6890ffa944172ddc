/**
 * Which model the demo loads.
 *
 * As any web app would: `VAE.load()` with no source, i.e. the MNIST model
 * shipped inside `@vae/sdk`. The SDK's browser entry names its three files with
 * literal `new URL(…, import.meta.url)`s, so Vite emits them as assets of this
 * app (the 2 KB manifest inlined as a data: URL), and the SDK reads them once
 * per page, so device switches work offline.
 *
 * Tests and benchmarks in a checkout without a trained model set
 * `VAE_DEMO_MODEL_DIR`; vite.config.ts then aliases `@demo-model/` to that
 * folder, and the glob below finds its files (otherwise the alias points at an
 * empty folder and the glob matches nothing). Those are fetched once and
 * passed as bytes.
 */
import type { ModelBytes } from '@vae/sdk';

const fixture = import.meta.glob<string>('@demo-model/*.{json,onnx}', { eager: true, query: '?url', import: 'default' });
const file = (name: string) => Object.entries(fixture).find(([path]) => path.endsWith(`/${name}`))?.[1];

let bytes: Promise<ModelBytes> | undefined;

async function get(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} returned HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** `undefined` (the SDK's own model) unless VAE_DEMO_MODEL_DIR pointed the build at another folder. */
export function demoModel(): Promise<ModelBytes | undefined> {
  const [manifest, encoder, decoder] = [file('model.json'), file('encoder.onnx'), file('decoder.onnx')];
  if (!manifest || !encoder || !decoder) return Promise.resolve(undefined);
  bytes ??= Promise.all([get(manifest), get(encoder), get(decoder)]).then(([m, e, d]) => ({ manifest: m, encoder: e, decoder: d }));
  return bytes;
}
