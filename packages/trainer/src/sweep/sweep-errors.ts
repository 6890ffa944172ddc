/**
 * The errors `vae-sweep` reports. Each names what was wrong and what was
 * expected; the CLI maps them to exit status 2 (a usage problem the user can
 * fix) except {@link SweepRunError}, which carries its child's status.
 */

/** A command-line argument of `vae-sweep` is malformed, unknown or contradictory. */
export class SweepArgsError extends Error {
  override name = 'SweepArgsError';
}

/** The sweep folder holds a different sweep, or files the sweep cannot trust. */
export class SweepDirError extends Error {
  override name = 'SweepDirError';
}

/** A training or evaluation child process failed. */
export class SweepRunError extends Error {
  override name = 'SweepRunError';
  constructor(
    message: string,
    /** The child's exit status (2: vae-train refused its flags), or null when it died of a signal. */
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}
