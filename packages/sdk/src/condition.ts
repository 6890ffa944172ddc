/**
 * Class labels of a conditional model: checking what a caller passed against
 * the manifest's `condition`, drawing labels from the seeded generator, and
 * the one-hot (or blended) `y` rows both graphs take.
 */
import type { ManifestCondition } from '@vae/format';
import { VAEInputError } from './errors.js';
import type { Xoshiro128 } from './random.js';
import { describe } from './random.js';

/** A class index for every row, or one index for all of them. */
export type LabelInput = number | readonly number[] | ArrayLike<number>;

const TWO_POW_32 = 4294967296;

/** `label` is an integer class index in `[0, classes)`. */
function isClass(v: unknown, classes: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < classes;
}

const isList = (v: unknown): v is ArrayLike<number> => Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));

/** How a conditional model's labels read in messages: `a class index in [0, 9] (0 = "0", …, 9 = "9")`. */
export function expectedLabel(c: ManifestCondition): string {
  const k = c.classes - 1;
  const names = c.classes === 1 ? `0 = ${JSON.stringify(c.names[0])}` : `0 = ${JSON.stringify(c.names[0])}, …, ${k} = ${JSON.stringify(c.names[k])}`;
  return `an integer class index in [0, ${k}] (${names})`;
}

/**
 * The label of each of `n` rows, checked against the model's condition.
 *
 * @param where - the call as messages name it, e.g. `'vae.encode'`
 * @param key - the option's name, e.g. `'label'` or `'from'`
 * @param what - what the `n` rows are, for messages (`'images'`, `'latents'`, `'samples'`)
 * @returns the labels, or `undefined` when `label` is omitted on a model that allows that
 * @throws {@link VAEInputError} for a label on an unconditional model, a missing label where
 *   `required`, an index out of range or not an integer, or an array of the wrong length
 * @internal
 */
export function checkLabels(
  condition: ManifestCondition | undefined,
  label: unknown,
  n: number,
  where: string,
  { key = 'label', what = 'images', required = true }: { key?: string; what?: string; required?: boolean } = {},
): Int32Array | undefined {
  if (!condition) {
    if (label === undefined) return undefined;
    throw new VAEInputError(`${where}: this model is unconditional (its model.json has no condition), so it takes no ${key}; got ${describe(label)}, expected the ${key} option omitted`);
  }
  const expected = expectedLabel(condition);
  if (label === undefined) {
    if (!required) return undefined;
    throw new VAEInputError(
      `${where}: this model is conditional on ${condition.classes} classes, so ${key} is required; expected { ${key}: ${expected}, or an array of ${n} of them, one per ${what.replace(/s$/, '')} }`,
    );
  }
  const out = new Int32Array(n);
  if (isList(label)) {
    if (label.length !== n) {
      throw new VAEInputError(`${where}: ${key} has ${label.length} entries for ${n} ${what}; expected ${n} class indices (one per ${what.replace(/s$/, '')}) or a single index for all`);
    }
    for (let i = 0; i < n; i++) {
      const v = label[i];
      if (!isClass(v, condition.classes)) throw new VAEInputError(`${where}: ${key}[${i}] must be ${expected}, got ${describe(v)}`);
      out[i] = v;
    }
    return out;
  }
  if (!isClass(label, condition.classes)) throw new VAEInputError(`${where}: ${key} must be ${expected} or an array of ${n} of them, got ${describe(label)}`);
  return out.fill(label);
}

/**
 * `n` labels from the generator, as `sample` draws them on a conditional
 * model given no label: `label_i = floor(r_i · classes / 2^32)`, `r_i` the
 * generator's next uint32 (exact in float64: `r · classes < 2^53`).
 * @internal
 */
export function drawLabels(rng: Xoshiro128, n: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor((rng.nextUint32() * classes) / TWO_POW_32);
  return out;
}

/** One-hot rows `[n, classes]`, float32, as both graphs of a conditional model take them. @internal */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const y = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) y[i * classes + labels[i]] = 1;
  return y;
}
