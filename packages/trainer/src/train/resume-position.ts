/**
 * Checks the mid-epoch position of a checkpoint before a run resumes from it,
 * so a damaged or foreign position is a `CheckpointError` naming the field,
 * never a silently different run.
 */
import type { EpochPosition } from '@vae/format/checkpoint';
import { CheckpointError } from '@vae/format/checkpoint';
import { Rng } from '../rng.js';

/** What the resuming run expects of the position. */
export interface PositionContext {
  /** Completed epochs in the checkpoint (the epoch in progress is this, 0-based). */
  epoch: number;
  stepsPerEpoch: number;
  batch: number;
  trainCount: number;
}

/** Returns `pos` if it is a position this run can continue from; throws {@link CheckpointError} otherwise. */
export function checkResumePosition(pos: unknown, ctx: PositionContext, path: string): EpochPosition {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new CheckpointError('bad-header', `position.${field} is ${JSON.stringify(got)}; expected ${expected}`, path);
  };
  if (typeof pos !== 'object' || pos === null || Array.isArray(pos)) bad('', 'an object', pos);
  const p = pos as Record<string, unknown>;
  if (p.epoch !== ctx.epoch) bad('epoch', `${ctx.epoch} (the checkpoint's completed epochs)`, p.epoch);
  const done = p.batchesDone;
  if (!Number.isInteger(done) || (done as number) < 0 || (done as number) > ctx.stepsPerEpoch) bad('batchesDone', `an integer in [0, ${ctx.stepsPerEpoch}]`, done);
  const seen = Math.min((done as number) * ctx.batch, ctx.trainCount);
  if (p.imagesSeen !== seen) bad('imagesSeen', `${seen} (${done} batches of ${ctx.batch} from ${ctx.trainCount} images)`, p.imagesSeen);
  for (const k of ['sumRecon', 'sumKl', 'trainSeconds'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) bad(k, 'a finite number', p[k]);
  }
  try {
    Rng.fromState(p.noiseRng as never);
  } catch (e) {
    bad('noiseRng', (e as Error).message.replace(/, got .*$/, '').replace(/^RNG state must be /, ''), p.noiseRng);
  }
  return p as unknown as EpochPosition;
}
