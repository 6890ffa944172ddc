/**
 * Scores a conditional VAE's samples with the project's MNIST classifier: how
 * often a sample asked for class c is classified as c.
 *
 * Samples are drawn exactly as the SDK documents `vae.sample(n, { label, seed,
 * temperature })` (packages/sdk/src/random.ts): latent k of sample i is the
 * (i·latent + k)-th Box–Muller Gaussian of xoshiro128** seeded with `seed`,
 * times `temperature`; every sample gets the one-hot label `y`. The decoder's
 * `x` output (sigmoid means) is what the classifier sees.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelManifest } from '@vae/format';
import { GRAPH_IO, Xoshiro128, parseManifest } from '@vae/format';
// The SDK's own draw, so these samples are exactly what vae.sample(n, { label, seed, temperature }) decodes.
import { fillGaussian } from '../../packages/sdk/src/random.js';
import type { ClassTally, ClassifierModel } from '@vae/trainer';
import { classifierFromParams, classify, readClassifierWeights, tally } from '@vae/trainer';

/** Thrown when the model under test is not a conditional model the score can use. */
export class QualitySetupError extends Error {
  override name = 'QualitySetupError';
}

/** A conditional decoder ready to sample from. */
export interface ConditionalDecoder {
  manifest: ModelManifest;
  classes: number;
  latent: number;
  session: ort.InferenceSession;
}

/** Loads `dir`'s model.json and decoder.onnx, checking that it is conditional and that the graph is the one model.json describes. */
export async function loadConditionalDecoder(dir: string): Promise<ConditionalDecoder> {
  const manifest = parseManifest(readFileSync(join(dir, 'model.json')));
  const classes = manifest.condition?.classes;
  if (!classes) throw new QualitySetupError(`${dir}/model.json has no condition entry; expected a conditional model (vae-train --conditional)`);
  const g = manifest.graphs.decoder;
  const bytes = readFileSync(join(dir, g.file));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== g.sha256) throw new QualitySetupError(`${join(dir, g.file)}: sha256 ${sha} does not match model.json (${g.sha256}); expected the files of one export`);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  return { manifest, classes, latent: manifest.latent, session };
}

/** `z ~ N(0, temperature²·I)` for n samples, as the SDK's `sample` draws them from `seed`. */
export function priorLatents(n: number, latent: number, seed: number, temperature: number): Float32Array {
  return fillGaussian(new Xoshiro128(seed), new Float32Array(n * latent), temperature);
}

/** Decodes `z` with every sample given the one-hot label `feedLabel`; returns the `x` means, `[n,1,28,28]` flat. */
export async function decodeWithLabel(dec: ConditionalDecoder, z: Float32Array, feedLabel: number): Promise<Float32Array> {
  const n = z.length / dec.latent;
  const y = new Float32Array(n * dec.classes);
  for (let i = 0; i < n; i++) y[i * dec.classes + feedLabel] = 1;
  const out = await dec.session.run({
    [GRAPH_IO.z]: new ort.Tensor('float32', z, [n, dec.latent]),
    [GRAPH_IO.y]: new ort.Tensor('float32', y, [n, dec.classes]),
  });
  return new Float32Array(out[GRAPH_IO.x].data as Float32Array);
}

/** Loads the classifier's weights file into a model on the active tfjs backend. */
export async function loadClassifier(file: string): Promise<ClassifierModel> {
  return classifierFromParams((await readClassifierWeights(file)).params);
}

/** Options for {@link scoreSamples}. */
export interface ScoreOptions {
  perClass: number;
  seed: number;
  temperature: number;
  /** The label actually fed to the decoder when class c is requested (default: c itself). Negative controls feed another. */
  feed?: (requested: number) => number;
}

/** Samples `perClass` images of every class and tallies the classifier's verdict against the requested class. */
export async function scoreSamples(dec: ConditionalDecoder, classifier: ClassifierModel, o: ScoreOptions): Promise<ClassTally> {
  const z = priorLatents(o.perClass, dec.latent, o.seed, o.temperature);
  const truth = new Uint8Array(o.perClass * dec.classes);
  const pred = new Uint8Array(truth.length);
  for (let c = 0; c < dec.classes; c++) {
    const x = await decodeWithLabel(dec, z, o.feed ? o.feed(c) : c);
    truth.fill(c, c * o.perClass, (c + 1) * o.perClass);
    pred.set(await classify(classifier, x, o.perClass), c * o.perClass);
  }
  return tally(truth, pred, dec.classes);
}

/** The per-class accuracy table (markdown), one column per temperature. */
export function accuracyTable(names: readonly string[], byTemperature: ReadonlyArray<[number, ClassTally]>): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const head = `| class | ${byTemperature.map(([t]) => `T = ${t}`).join(' | ')} |`;
  const rule = `|---|${byTemperature.map(() => '---|').join('')}`;
  const rows = names.map((n, c) => `| ${n} | ${byTemperature.map(([, t]) => pct(t.perClass[c])).join(' | ')} |`);
  const all = `| **all** | ${byTemperature.map(([, t]) => `**${pct(t.overall)}**`).join(' | ')} |`;
  return [head, rule, ...rows, all].join('\n');
}

/** The confusion matrix (markdown): rows are the requested class, columns the classifier's verdict. */
export function confusionTable(names: readonly string[], t: ClassTally): string {
  const head = `| asked \\ seen | ${names.join(' | ')} |`;
  const rule = `|---|${names.map(() => '---:|').join('')}`;
  return [head, rule, ...t.matrix.map((row, c) => `| ${names[c]} | ${row.join(' | ')} |`)].join('\n');
}
