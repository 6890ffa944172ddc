/**
 * Which model the demo loads.
 *
 * As any web app would: `VAE.load()` with no source, i.e. the MNIST model
 * shipped inside `@vae/sdk`. The SDK's browser entry names its three files with
 * literal `new URL(…, import.meta.url)`s, so Vite emits them as assets of this
 * app (the 2 KB manifest inlined as a data: URL), and the SDK reads them once
 * per page, so device switches work offline.
 *
 * The conditional model is `VAE.load('mnist-cvae')`: the bundled model by
 * name, whose files the browser entry names the same way, so Vite emits both
 * models.
 *
 * The emoji model (the model picker's "emoji") is `import emoji from
 * '@vae/model-emoji'`, its own package, whose entry names its files the same
 * way; it is imported only when picked, so the digits page never fetches it.
 *
 * Tests and benchmarks in a checkout without a trained model set
 * `VAE_DEMO_MODEL_DIR` (`VAE_DEMO_CVAE_DIR` for the conditional one,
 * `VAE_DEMO_EMOJI_DIR` for the emoji one);
 * vite.config.ts then aliases `@demo-model/` (`@demo-cvae/`) to that
 * folder, and the globs below find its files (otherwise the alias points at an
 * empty folder and the glob matches nothing). Those are fetched once and
 * passed as bytes.
 */
import type { ModelBytes, ModelSource } from '@vae/sdk';

const fixture = import.meta.glob<string>('@demo-model/*.{json,onnx}', { eager: true, query: '?url', import: 'default' });
const emojiFixture = import.meta.glob<string>('@demo-emoji/*.{json,onnx}', { eager: true, query: '?url', import: 'default' });
const cvaeFixture = import.meta.glob<string>('@demo-cvae/*.{json,onnx}', { eager: true, query: '?url', import: 'default' });
const find = (files: Record<string, string>, name: string) => Object.entries(files).find(([path]) => path.endsWith(`/${name}`))?.[1];
const file = (name: string) => find(fixture, name);

let bytes: Promise<ModelBytes> | undefined;
let cvaeBytes: Promise<ModelBytes> | undefined;
let emojiBytes: Promise<ModelBytes> | undefined;

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

/** `'mnist-cvae'` (the conditional model shipped in @vae/sdk) unless VAE_DEMO_CVAE_DIR pointed the build at another folder. */
export function demoCvae(): Promise<ModelBytes | 'mnist-cvae'> {
  const [manifest, encoder, decoder] = [find(cvaeFixture, 'model.json'), find(cvaeFixture, 'encoder.onnx'), find(cvaeFixture, 'decoder.onnx')];
  if (!manifest || !encoder || !decoder) return Promise.resolve('mnist-cvae');
  cvaeBytes ??= Promise.all([get(manifest), get(encoder), get(decoder)]).then(([m, e, d]) => ({ manifest: m, encoder: e, decoder: d }));
  return cvaeBytes;
}

/** `@vae/model-emoji`'s source unless VAE_DEMO_EMOJI_DIR pointed the build at another folder. */
export async function demoEmoji(): Promise<ModelSource> {
  const [manifest, encoder, decoder] = [find(emojiFixture, 'model.json'), find(emojiFixture, 'encoder.onnx'), find(emojiFixture, 'decoder.onnx')];
  if (!manifest || !encoder || !decoder) return (await import('@vae/model-emoji')).default;
  emojiBytes ??= Promise.all([get(manifest), get(encoder), get(decoder)]).then(([m, e, d]) => ({ manifest: m, encoder: e, decoder: d }));
  return emojiBytes;
}
