/** Why an export failed. */
export type ExportErrorCode =
  /** The checkpoint is missing, truncated, corrupt or fails its checksum. */
  | 'checkpoint'
  /** The checkpoint was written for another architecture or format version. */
  | 'arch-version'
  /** The architecture has a layer or activation the exporter cannot translate. */
  | 'unsupported-layer'
  /** A weight is NaN or infinite, or the graphs give NaN or infinite values on the probe batch. */
  | 'non-finite'
  /** The output folder cannot be created or written. */
  | 'output'
  /** A generated graph failed structural validation (a bug in the exporter). */
  | 'invalid-graph'
  /** Bad options (e.g. an opset out of range). */
  | 'usage';

/**
 * The one error type the exporter throws. `code` says what went wrong; the
 * message is meant for a person and names the file, layer or tensor involved.
 */
export class ExportError extends Error {
  override name = 'ExportError';
  constructor(
    readonly code: ExportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
