/**
 * Every architecture spec is built by `buildArchSpec(config)`, so a spec read
 * from outside (a checkpoint header, a caller) is valid exactly when it equals
 * what its own config builds. One comparison serves the checkpoint schema and
 * the trainer's model builder, so a damaged spec is an error naming the field
 * instead of tfjs' `Error in matMul: inner shapes (1568) and (512)` or
 * `Error in clip: min (10) must be less than or equal to max (-20)` mid-step.
 */
import type { ArchConfig, ArchSpec } from './arch-spec.js';
import { ArchConfigError, buildArchSpec } from './arch-spec.js';

/** Where two JSON-like values first differ. @internal */
export interface Difference {
  /** Dotted path, with `[i]` for array items. */
  path: string;
  expected: unknown;
  got: unknown;
}

/**
 * The first place where `got` differs from `expected` (missing and extra keys
 * included), depth first, or null when they are equal.
 * @internal
 */
export function firstDifference(expected: unknown, got: unknown, path = ''): Difference | null {
  if (typeof expected !== typeof got || Array.isArray(expected) !== Array.isArray(got) || (expected === null) !== (got === null)) return { path, expected, got };
  if (typeof expected !== 'object' || expected === null) return Object.is(expected, got) ? null : { path, expected, got };
  for (const k of new Set([...Object.keys(expected), ...Object.keys(got as object)])) {
    const at = Array.isArray(expected) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    const d = firstDifference((expected as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], at);
    if (d) return d;
  }
  return null;
}

/**
 * Returns `spec` if it is exactly what `buildArchSpec(spec.config)` builds.
 *
 * @throws {@link ArchConfigError} naming the first wrong field otherwise
 *
 * @example
 * ```ts
 * import { buildArchSpec, checkArchSpec } from '@vae/format';
 * const spec = checkArchSpec(JSON.parse(JSON.stringify(buildArchSpec({ arch: 'small' })))); // ok
 * ```
 */
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
  const d = firstDifference(want, spec);
  if (d) {
    throw new ArchConfigError(`${where}: ${d.path} is ${JSON.stringify(d.got) ?? 'missing'}, but its config ${JSON.stringify(config)} gives ${JSON.stringify(d.expected) ?? 'no such field'}`);
  }
  return spec as ArchSpec;
}
