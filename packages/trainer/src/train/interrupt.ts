/**
 * Cooperative interruption of training and evaluation.
 *
 * On the CPU backend every tfjs `await` settles as a microtask, so a loop of
 * steps never returns to the event loop and Node's signal handlers never run.
 * Long loops therefore call {@link yieldToEventLoop} between steps and then
 * check their `AbortSignal`, which the CLI aborts on SIGINT/SIGTERM.
 */

/** What was on disk when a run stopped on a signal; the CLI prints it. */
export interface InterruptSaved {
  /** The checkpoint file written on interrupt, or null when nothing new had to be saved. */
  checkpointPath: string | null;
  /** Completed epochs in the checkpoint. */
  epoch: number;
  /** Batches of the next epoch already trained on (0 at an epoch boundary). */
  batchesDone: number;
  stepsPerEpoch: number;
  /** Completed optimizer steps in the checkpoint. */
  step: number;
}

/**
 * Thrown by `train` and `evaluate` when their `signal` is aborted. `saved`
 * says truthfully what was written (null: nothing, e.g. during evaluation).
 */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(
    /** The abort reason, e.g. `"SIGINT"`. */
    readonly reason: string,
    readonly saved: InterruptSaved | null,
    message: string,
  ) {
    super(message);
  }
}

/** Resolves on the event loop's check phase, after pending I/O and signal callbacks have run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The abort reason of a signal as text (`"SIGINT"`, or `"aborted"`). */
export function abortReason(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'aborted';
}

/** Yields to the event loop, then throws {@link InterruptedError} (nothing saved) if `signal` was aborted. */
export async function checkpointFreeYield(signal: AbortSignal | undefined, what: string): Promise<void> {
  if (!signal) return;
  await yieldToEventLoop();
  if (signal.aborted) throw new InterruptedError(abortReason(signal), null, `${what} interrupted by ${abortReason(signal)}; nothing was saved`);
}
