/**
 * Refuses an export whose graphs give non-finite outputs on a small fixed
 * probe batch. Weights can each be finite (translate.ts checks that) and still
 * overflow float32 once multiplied and summed, or overflow float16 when stored
 * as `--precision fp16` weights; either way the model would hand users NaN
 * pixels, so the export stops here with the layer where it first went wrong.
 */
import type { ArchSpec } from '@vae/format';
import { Xoshiro128, conditionClasses } from '@vae/format';
import { ExportError } from './errors.js';
import type { ProbePrecision, ProbeResult, ProbeTensor } from './probe-forward.js';
import { probeDecoder, probeEncoder } from './probe-forward.js';
import { foldBatchNorm } from './fold-batch-norm.js';

/** What the probe batch holds, for messages (and tests). */
export const PROBE_BATCH = {
  images: ['all 0', 'mid-grey 0.5', 'all 1', 'uniform random (seed 1)'],
  latents: ['zeros', 'N(0,1) (seed 2)', 'N(0,1) (seed 3)', '3 × N(0,1) (seed 4)'],
} as const;

function uniform(seed: number, n: number): Float32Array {
  const r = new Xoshiro128(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r.nextUint32() / 2 ** 32;
  return out;
}

function normal(seed: number, n: number, scale: number): Float32Array {
  const r = new Xoshiro128(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (r.nextUint32() + 1) / (2 ** 32 + 1); // (0, 1): log stays finite
    const v = r.nextUint32() / 2 ** 32;
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/**
 * The probe images (NHWC) and latents, deterministic for a given spec. A
 * conditional spec's batch has max(4, classes) items, item i holding input
 * `i mod 4` and the one-hot label `i mod classes`: every class's label rows
 * (which only its own label reads) are probed, not just those of the first four.
 */
export function probeBatch(spec: ArchSpec): { x: ProbeTensor; z: ProbeTensor; y?: ProbeTensor } {
  const [H, W, C] = spec.config.imageShape;
  const px = H * W * C;
  const latent = spec.encoder.mu.outFeatures;
  const classes = conditionClasses(spec);
  const n = Math.max(4, classes);
  const x0 = new Float32Array(4 * px);
  x0.fill(0.5, px, 2 * px);
  x0.fill(1, 2 * px, 3 * px);
  x0.set(uniform(1, px), 3 * px);
  const z0 = new Float32Array(4 * latent);
  z0.set(normal(2, latent, 1), latent);
  z0.set(normal(3, latent, 1), 2 * latent);
  z0.set(normal(4, latent, 3), 3 * latent);
  const x = new Float32Array(n * px);
  const z = new Float32Array(n * latent);
  for (let i = 0; i < n; i++) {
    x.set(x0.subarray((i % 4) * px, (i % 4 + 1) * px), i * px);
    z.set(z0.subarray((i % 4) * latent, (i % 4 + 1) * latent), i * latent);
  }
  const out: { x: ProbeTensor; z: ProbeTensor; y?: ProbeTensor } = { x: { data: x, dims: [n, H, W, C] }, z: { data: z, dims: [n, latent] } };
  if (classes) {
    const y = new Float32Array(n * classes);
    for (let i = 0; i < n; i++) y[i * classes + (i % classes)] = 1;
    out.y = { data: y, dims: [n, classes] };
  }
  return out;
}

/** What probe item `i` holds, for messages: one of `inputs`, and its label on a conditional spec. */
function describeItems(inputs: readonly string[], classes: number): string[] {
  const n = Math.max(inputs.length, classes);
  return Array.from({ length: n }, (_, i) => (classes ? `${inputs[i % inputs.length]}, label ${i % classes}` : inputs[i]));
}

function check(graph: 'encoder' | 'decoder', r: ProbeResult, inputs: readonly string[], precision: ProbePrecision): void {
  const site = r.firstNonFinite;
  if (!site) return; // every output is checked too: the last layers' outputs are the graph's outputs
  const bad = Object.entries(r.outputs).filter(([, t]) => t.data.some((v) => !Number.isFinite(v))).map(([name]) => name);
  const where = bad.length ? `output ${bad.join(' and ')} ${bad.length > 1 ? 'are' : 'is'} non-finite` : 'its outputs are finite but a value on the way is not';
  const w = site.weight;
  const why = w
    ? `its stored weight ${w.name} holds ${w.original}, which float16 (largest finite 65504) stores as ${w.value}; export with --precision fp32`
    : `the weights are finite but their products overflow float32 (largest finite 3.4e38): the checkpoint is unusable (training diverged?)`;
  throw new ExportError(
    'non-finite',
    `the ${precision} ${graph} graph gives non-finite values on the exporter's probe batch: ${where}; the first non-finite value (${site.value}) appears at layer ${site.layer} ` +
      `for probe input ${site.item} (${inputs[site.item]}). Expected finite values for every probe input (${inputs.join(', ')}); ${why}`,
  );
}

/**
 * Runs the encoder and decoder, as exported with `precision`, on the probe
 * batch and throws when any output (or any value on the way) is not finite.
 *
 * @throws {@link ExportError} `non-finite`, naming the graph, the output and the first layer that produced a non-finite value
 */
export function checkFiniteOutputs(normed: ArchSpec, normedParams: Map<string, Float32Array>, precision: ProbePrecision): void {
  // Folded once here rather than by each probe: the graphs hold the folded weights.
  const { spec, params } = foldBatchNorm(normed, normedParams);
  const { x, z, y } = probeBatch(spec);
  const classes = conditionClasses(spec);
  check('encoder', probeEncoder(spec, params, x, precision, y), describeItems(PROBE_BATCH.images, classes), precision);
  check('decoder', probeDecoder(spec, params, z, precision, y), describeItems(PROBE_BATCH.latents, classes), precision);
}
