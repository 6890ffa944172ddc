/**
 * The Cache API settings, global to a page or worker (`env.cache`): whether
 * the SDK keeps model graphs and the runtime's wasm in Cache Storage, and
 * under which cache name.
 */
import { VAEInputError } from '../errors.js';
import { describe } from '../random.js';

/** `env.cache`: where the SDK keeps downloaded model graphs and runtime wasm between visits. */
export interface CacheSettings {
  /** Whether to use the Cache API at all (browsers and workers; Node has none). Default true. `LoadOptions.cache: false` turns it off for one load. */
  enabled: boolean;
  /** Cache Storage name (`caches.open(name)`). Default `'vae-sdk-v1'`; change it to keep two apps on one origin apart. */
  name: string;
}

/** The live settings object behind `env.cache`. @internal */
export const cacheSettings: CacheSettings = { enabled: true, name: 'vae-sdk-v1' };

/** Checks and copies settings into {@link cacheSettings} (the worker receives the page's). @internal */
export function setCacheSettings(s: unknown): void {
  const o = checkCacheSettings(s);
  cacheSettings.enabled = o.enabled;
  cacheSettings.name = o.name;
}

/** The current settings, checked: a {@link VAEInputError} names the key that is wrong. @internal */
export function checkCacheSettings(s: unknown = cacheSettings): CacheSettings {
  if (s === null || typeof s !== 'object') throw new VAEInputError(`env.cache must be an object like { enabled, name }, got ${describe(s)}`);
  const { enabled, name } = s as Record<string, unknown>;
  if (typeof enabled !== 'boolean') throw new VAEInputError(`env.cache.enabled must be a boolean (true or false), got ${describe(enabled)}`);
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw new VAEInputError(`env.cache.name must be a non-empty string of at most 256 characters, got ${describe(name)}`);
  return { enabled, name };
}
