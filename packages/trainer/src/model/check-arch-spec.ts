/**
 * The trainer only ever builds specs with `buildArchSpec(config)`, so a spec
 * read from a checkpoint is valid exactly when it equals what its own config
 * builds. Checking that before building a model turns a damaged spec into an
 * `ArchConfigError` naming the field, instead of tfjs' `Error in matMul: inner
 * shapes (1568) and (512)` or `Error in clip: min (10) must be less than or
 * equal to max (-20)` in the middle of a step.
 */
import type { ArchConfig, ArchSpec } from './arch.js';
import { ArchConfigError, buildArchSpec } from './arch.js';

function firstDifference(got: unknown, want: unknown, path: string): { path: string; got: unknown; want: unknown } | null {
  if (typeof want !== 'object' || want === null) return Object.is(got, want) ? null : { path, got, want };
  if (typeof got !== 'object' || got === null || Array.isArray(got) !== Array.isArray(want)) return { path, got, want };
  const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
  for (const k of keys) {
    const sub = Array.isArray(want) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    const d = firstDifference((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], sub);
    if (d) return d;
  }
  return null;
}

/** Returns `spec` if it is exactly what `buildArchSpec(spec.config)` builds; throws {@link ArchConfigError} naming the first wrong field otherwise. */
export function checkArchSpec(spec: unknown, where = 'arch spec'): ArchSpec {
  const config = (spec as { config?: unknown } | null)?.config;
  if (typeof config !== 'object' || config === null) throw new ArchConfigError(`${where}: config is ${JSON.stringify(config)}; expected an object {arch, latent, channels, kernel, imageShape}`);
  const c = config as Partial<ArchConfig>;
  const shape = c.imageShape;
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ArchConfigError(`${where}: config.imageShape is ${JSON.stringify(shape)}; expected [height, width, channels] of positive integers`);
  }
  if (!Array.isArray(c.channels)) throw new ArchConfigError(`${where}: config.channels is ${JSON.stringify(c.channels)}; expected an array of positive integers`);
  let want: ArchSpec;
  try {
    want = buildArchSpec(c);
  } catch (e) {
    throw new ArchConfigError(`${where}: config ${JSON.stringify(config)} does not build: ${(e as Error).message}`);
  }
  const d = firstDifference(spec, want, '');
  if (d) {
    throw new ArchConfigError(`${where}: ${d.path} is ${JSON.stringify(d.got) ?? 'missing'}, but its config ${JSON.stringify(config)} gives ${JSON.stringify(d.want) ?? 'no such field'}`);
  }
  return spec as ArchSpec;
}
