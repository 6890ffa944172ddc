/**
 * Typed errors. Every message names the value that was expected, so a user can
 * fix the call without reading the SDK's source.
 */

/** Machine-readable reason carried by every {@link VAEError}. */
export type VAEErrorCode =
  | 'input'
  | 'model'
  | 'device'
  | 'disposed'
  | 'source';

/** Base class of all errors thrown by `@vae/sdk`. */
export class VAEError extends Error {
  override name = 'VAEError';
  /** What kind of failure this is; stable across versions. */
  readonly code: VAEErrorCode;
  constructor(code: VAEErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Bad images, latents, counts or options passed to a method. */
export class VAEInputError extends VAEError {
  override name = 'VAEInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('input', message, options);
  }
}

/** A model that is missing, corrupt, or not what its manifest says. */
export class VAEModelError extends VAEError {
  override name = 'VAEModelError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('model', message, options);
  }
}

/** A model source (folder, URL) that cannot be read. */
export class VAESourceError extends VAEError {
  override name = 'VAESourceError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('source', message, options);
  }
}

/** One device that could not start, and why. */
export interface DeviceFailure {
  device: string;
  reason: string;
}

/**
 * No requested device could start. `failures` lists every device tried and
 * why it failed, so `auto` fallbacks are explainable.
 */
export class VAEDeviceError extends VAEError {
  override name = 'VAEDeviceError';
  /** Each device that was tried and why it failed. */
  readonly failures: readonly DeviceFailure[];
  constructor(message: string, failures: readonly DeviceFailure[] = [], options?: { cause?: unknown }) {
    const detail = failures.length ? `\n${failures.map((f) => `  - ${f.device}: ${f.reason}`).join('\n')}` : '';
    super('device', message + detail, options);
    this.failures = failures;
  }
}

/** A method was called after {@link VAE.dispose}. */
export class VAEDisposedError extends VAEError {
  override name = 'VAEDisposedError';
  constructor(method: string) {
    super('disposed', `vae.${method}() called after dispose(); expected a live instance from VAE.load()`);
  }
}
