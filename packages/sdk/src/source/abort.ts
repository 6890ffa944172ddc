/** The one error an aborted load gives, wherever the abort lands. */
import { VAESourceError } from '../errors.js';

/**
 * A {@link VAESourceError} for an aborted load. Its `cause` is
 * `signal.reason` (an `AbortError` DOMException unless the caller passed its
 * own reason), so `err.cause === signal.reason` tells an abort from a failure.
 */
export function abortedError(signal: AbortSignal, what: string): VAESourceError {
  const reason = signal.reason as { message?: unknown } | undefined;
  const why = typeof reason?.message === 'string' ? reason.message : String(reason);
  return new VAESourceError(`loading ${what} was aborted (${why}); expected the load to run to completion, the caller's AbortSignal stopped it`, { cause: signal.reason });
}

/** Throws {@link abortedError} when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(signal, what);
}
