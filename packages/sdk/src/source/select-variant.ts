/**
 * Picking one precision of a model (`VAE.load(source, { dtype })`, as
 * transformers.js's `dtype`): model.json's `graphs` are its own precision,
 * and `variants` lists the others (`encoder_int8.onnx`, …). The chosen
 * variant's graphs replace `graphs`, so every later step (reading with the
 * declared byte bound, sha256, session I/O) checks the files actually run.
 */
import { MANIFEST_PRECISIONS } from '@vae/format';
import { VAEInputError } from '../errors.js';
import type { ModelManifest } from '../manifest.js';

/** A weight precision a model may ship: `fp32`, `fp16` or `int8`. */
export type ModelDType = 'fp32' | 'fp16' | 'int8';

/** Every {@link ModelDType}, for option checks and messages. */
export const MODEL_DTYPES: readonly ModelDType[] = MANIFEST_PRECISIONS;

/** The precisions a manifest offers: its own first, then its variants. @internal */
export function availableDTypes(m: ModelManifest): ModelDType[] {
  return [m.precision, ...MODEL_DTYPES.filter((p) => p !== m.precision && m.variants?.[p])];
}

/**
 * The manifest as the `dtype` variant: `graphs` and `precision` replaced by
 * the variant's; `undefined` keeps the model's own precision.
 *
 * @throws {@link VAEInputError} when the model does not ship that precision, naming the ones it does
 * @internal
 */
export function selectVariant(m: ModelManifest, dtype: ModelDType | undefined): ModelManifest {
  if (dtype === undefined || dtype === m.precision) return m;
  const v = m.variants?.[dtype];
  if (!v) {
    const have = availableDTypes(m);
    throw new VAEInputError(`VAE.load: model ${JSON.stringify(m.name)} has no ${dtype} variant; it ships ${have.join(', ')} (model.json's precision${have.length > 1 ? ' and variants' : ''})`);
  }
  return { ...m, precision: dtype, graphs: v };
}
