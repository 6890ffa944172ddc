/**
 * The classifier as tfjs ops on variables named `<prefix>/<layer>/kernel|bias`
 * (the prefix keeps several instances apart in tfjs' variable registry).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, deriveSeed } from '../rng.js';
import type { ClassifierSpec } from './classifier-spec.js';
import { CLASSIFIER_SPEC, classifierWeightShapes } from './classifier-spec.js';

/** A classifier whose parameters live in tfjs variables. */
export interface ClassifierModel {
  readonly spec: ClassifierSpec;
  /** Parameters keyed `"conv1/kernel"`, in {@link classifierWeightShapes} order. */
  readonly params: Map<string, tf.Variable>;
  /** Images `[N,28,28,1]` in [0,1] to class logits `[N,10]`. */
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /** Copies the parameters out as plain arrays. */
  readParams(): Promise<Map<string, Float32Array>>;
  dispose(): void;
}

/** Thrown when weights given to the classifier do not fit its spec. */
export class ClassifierParamsError extends Error {
  override name = 'ClassifierParamsError';
}

let instanceCounter = 0;

/** PyTorch's default init, as the VAE's (`initParams`): U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function initClassifierParams(seed: number, spec: ClassifierSpec = CLASSIFIER_SPEC): Map<string, Float32Array> {
  const rng = new Rng(deriveSeed(seed, 0xc1a55));
  const out = new Map<string, Float32Array>();
  for (const l of spec.layers) {
    if (l.kind === 'flatten') continue;
    const fanIn = l.kind === 'dense' ? l.inFeatures : l.inChannels * l.kernelSize ** 2;
    const bound = 1 / Math.sqrt(fanIn);
    for (const [name, shape] of classifierWeightShapes(spec)) {
      if (!name.startsWith(`${l.name}/`)) continue;
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = (rng.uniform() * 2 - 1) * bound;
      out.set(name, data);
    }
  }
  return out;
}

/** Builds the classifier from weight values (fresh from {@link initClassifierParams}, or a weights file's). */
export function classifierFromParams(values: Map<string, Float32Array>, spec: ClassifierSpec = CLASSIFIER_SPEC): ClassifierModel {
  const shapes = classifierWeightShapes(spec);
  for (const name of values.keys()) {
    if (!shapes.has(name)) throw new ClassifierParamsError(`unexpected parameter ${name}; expected only ${[...shapes.keys()].join(', ')}`);
  }
  const prefix = `classifier${instanceCounter++}`;
  const params = new Map<string, tf.Variable>();
  for (const [name, shape] of shapes) {
    const v = values.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!v) throw new ClassifierParamsError(`missing parameter ${name}, expected shape [${shape}]`);
    if (v.length !== size) throw new ClassifierParamsError(`parameter ${name} has ${v.length} values, expected ${size} for shape [${shape}]`);
    params.set(name, tf.tidy(() => tf.variable(tf.tensor(v, shape, 'float32'), true, `${prefix}/${name}`)));
  }
  const p = (name: string) => params.get(name)!;
  return {
    spec,
    params,
    logits(x) {
      return tf.tidy(() => {
        let h: tf.Tensor = x;
        for (const l of spec.layers) {
          if (l.kind === 'flatten') {
            h = tf.reshape(h, [h.shape[0], -1]);
            continue;
          }
          if (l.kind === 'dense') {
            h = tf.add(tf.matMul(h as tf.Tensor2D, p(`${l.name}/kernel`) as tf.Tensor2D), p(`${l.name}/bias`));
          } else {
            const { top, bottom, left, right } = l.pads;
            const pads: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [top, bottom], [left, right], [0, 0]];
            h = tf.add(tf.conv2d(h as tf.Tensor4D, p(`${l.name}/kernel`) as tf.Tensor4D, l.stride, pads), p(`${l.name}/bias`));
          }
          if (l.activation === 'relu') h = tf.relu(h);
        }
        return h as tf.Tensor2D;
      });
    },
    async readParams() {
      const out = new Map<string, Float32Array>();
      for (const [name, v] of params) out.set(name, (await v.data()) as Float32Array);
      return out;
    },
    dispose() {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}
