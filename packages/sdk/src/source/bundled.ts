/**
 * The models shipped inside the package, loadable by name: `VAE.load('mnist')`
 * (also what `VAE.load()` loads) and `VAE.load('mnist-cvae')`.
 */

/** Names of the models shipped in the package; `mnist` is the default. */
export const BUNDLED_MODELS = Object.freeze(['mnist', 'mnist-cvae'] as const);

/** One of {@link BUNDLED_MODELS}. */
export type BundledModelName = (typeof BUNDLED_MODELS)[number];

/** The model `VAE.load()` loads without a source. */
export const DEFAULT_MODEL: BundledModelName = 'mnist';

/**
 * A bare name: no slash, no backslash, no dot, no colon. Only a bare name can
 * mean a bundled model; anything else (`./mnist`, `models/mnist`,
 * `model.json`, a URL) is always a path or URL.
 * @internal
 */
export function isBareName(source: unknown): source is string {
  return typeof source === 'string' && /^[A-Za-z0-9_-]+$/.test(source);
}

/** Whether `source` names a bundled model. @internal */
export function isBundledName(source: unknown): source is BundledModelName {
  return isBareName(source) && (BUNDLED_MODELS as readonly string[]).includes(source);
}

/** `"mnist", "mnist-cvae"`, for messages. @internal */
export const bundledList = (): string => BUNDLED_MODELS.map((n) => JSON.stringify(n)).join(', ');
