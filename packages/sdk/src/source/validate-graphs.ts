/** Validation of started sessions: the graphs' real inputs and outputs against what model.json promises. */
import type { ValueMeta } from '../backends/types.js';
import { VAEModelError } from '../errors.js';
import type { ModelManifest } from '../manifest.js';
import { formatShape as fmt, sameShape } from '@vae/format';

/** A started session's real inputs/outputs against the manifest's promise. */
export function verifySessionIo(m: ModelManifest, which: 'encoder' | 'decoder', inputs: readonly ValueMeta[], outputs: readonly ValueMeta[]): void {
  const g = m.graphs[which];
  for (const [kind, declared, actual] of [['input', g.inputs, inputs], ['output', g.outputs, outputs]] as const) {
    for (const d of declared) {
      const a = actual.find((x) => x.name === d.name);
      if (!a) {
        throw new VAEModelError(`${g.file} has no ${kind} "${d.name}" (it has ${actual.map((x) => x.name).join(', ') || 'none'}); expected ${d.name}${fmt(d.shape)} as model.json says`);
      }
      if (a.type !== 'float32') throw new VAEModelError(`${g.file} ${kind} "${d.name}" is ${a.type}, expected float32`);
      // An empty shape means the graph doesn't declare one; ORT checks at run time.
      if (a.shape.length && !sameShape(a.shape, d.shape)) {
        throw new VAEModelError(`${g.file} ${kind} "${d.name}" has shape ${fmt(a.shape)}, expected ${fmt(d.shape)} as model.json says`);
      }
    }
  }
}
