/**
 * `DIR/sweep.json`: which sweep made the folder. A rerun must be the same
 * sweep (same varied flag, values and passthrough) or its run folders would
 * silently mix settings; `--parallel` is left out because it changes only
 * how many runs go at once, not what they compute.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@vae/format/checkpoint';
import type { SweepPlan } from './validate-sweep.js';
import { SweepDirError } from './sweep-errors.js';

/** Contents of `sweep.json`. */
export interface SweepManifest {
  /** Layout version of this file. */
  version: 1;
  /** The command as typed, for people reading the folder. */
  command: string;
  /** The varied vae-train flag, without dashes. */
  name: string;
  /** Its values, in run order. */
  values: string[];
  /** vae-train flags given to every run. */
  passthrough: string[];
  /** Importance samples of the final evaluation. */
  iwSamples: number;
}

/** File name of the manifest inside the sweep folder. */
export const SWEEP_MANIFEST = 'sweep.json';
// A manifest is a few hundred bytes; anything far larger is not one.
const MAX_MANIFEST_BYTES = 1 << 20;

function same(a: SweepManifest, b: SweepManifest): string | null {
  if (a.name !== b.name) return `it varies --${a.name}, this command --${b.name}`;
  if (JSON.stringify(a.values) !== JSON.stringify(b.values)) return `it varies --${a.name} over ${a.values.join(',')}, this command over ${b.values.join(',')}`;
  if (JSON.stringify(a.passthrough) !== JSON.stringify(b.passthrough)) return `its runs get "${a.passthrough.join(' ')}", this command's "${b.passthrough.join(' ')}"`;
  if (a.iwSamples !== b.iwSamples) return `it evaluates with --iw-samples ${a.iwSamples}, this command with ${b.iwSamples}`;
  return null;
}

/**
 * Writes `sweep.json` for a new folder, or checks that an existing one records
 * the same sweep; throws {@link SweepDirError} otherwise.
 */
export async function claimSweepDir(plan: SweepPlan, command: string): Promise<SweepManifest> {
  const path = join(plan.out, SWEEP_MANIFEST);
  const mine: SweepManifest = { version: 1, command, name: plan.name, values: plan.values, passthrough: plan.passthrough, iwSamples: plan.iwSamples };
  let text: string | null = null;
  try {
    const st = await fs.stat(path);
    if (st.size > MAX_MANIFEST_BYTES) throw new SweepDirError(`${path} is ${st.size} bytes, not a sweep manifest (at most ${MAX_MANIFEST_BYTES}); expected the sweep.json vae-sweep writes`);
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === null) {
    const entries = await fs.readdir(plan.out).catch(() => [] as string[]);
    if (entries.includes('runs')) throw new SweepDirError(`${plan.out} holds runs/ but no ${SWEEP_MANIFEST}; expected a folder made by vae-sweep, or a new --out`);
    await fs.mkdir(plan.out, { recursive: true });
    await writeFileAtomic(path, `${JSON.stringify(mine, null, 2)}\n`);
    return mine;
  }
  let theirs: SweepManifest;
  try {
    theirs = JSON.parse(text) as SweepManifest;
  } catch (e) {
    throw new SweepDirError(`${path} is not JSON (${(e as Error).message}); expected the sweep.json vae-sweep writes`);
  }
  if (theirs?.version !== 1 || typeof theirs.name !== 'string' || !Array.isArray(theirs.values) || !Array.isArray(theirs.passthrough)) {
    throw new SweepDirError(`${path} is not a version 1 sweep manifest; expected {version: 1, name, values, passthrough, ...}`);
  }
  const diff = same(theirs, mine);
  if (diff) throw new SweepDirError(`${plan.out} was made by a different sweep (${theirs.command}): ${diff}; rerun that command to continue it, or choose another --out`);
  return theirs;
}
