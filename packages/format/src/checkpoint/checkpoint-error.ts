/**
 * The one error type for checkpoint files, in its own module so that the
 * container (format.ts) and the header schema (header-schema.ts) share it
 * without importing each other.
 */

/** Why a checkpoint could not be read. */
export type CheckpointErrorCode =
  | 'missing'
  | 'truncated'
  | 'bad-magic'
  | 'bad-header'
  | 'checksum'
  | 'version'
  | 'mismatch'
  | 'non-finite';

/** Thrown for any unreadable, corrupt or mismatched checkpoint. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}
