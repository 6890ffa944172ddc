/**
 * Starts `vae-train` as a child process of the sweep. Each child gets its
 * own process group, so a terminal's Ctrl-C reaches only the sweep, which
 * forwards it once (vae-train treats a second signal as "exit now"), and the
 * parent-watch preload, so it stops itself if the sweep dies without
 * forwarding anything (SIGKILL).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';

/** The built files the sweep starts: `dist/cli.js` and `dist/sweep-parent-watch.js` beside the sweep's own file. */
export interface TrainerFiles {
  /** Path of vae-train's built CLI. */
  cli: string;
  /** file: URL of the preload, for `node --import`. */
  parentWatch: string;
}

/** How a child ended, with the tail of what it printed. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of its stderr, for error messages. */
  tail: string;
  /** Its stdout (the evaluation's JSON line). */
  stdout: string;
}

const live = new Set<ChildProcess>();
const TAIL_CHARS = 2000;

/** Sends `signal` to every running child (once per signal the sweep receives). */
export function signalChildren(signal: NodeJS.Signals): void {
  for (const c of live) c.kill(signal);
}

/** Number of children still running. */
export function liveChildren(): number {
  return live.size;
}

/**
 * Runs `node --import parentWatch cli ...args`, appending its stderr (and
 * stdout unless `captureStdout`) to `logFile`.
 */
export async function runTrainer(files: TrainerFiles, args: readonly string[], logFile: string, opts: { captureStdout?: boolean; onStart?: (pid: number) => Promise<void> } = {}): Promise<ChildExit> {
  const log = await fs.open(logFile, 'a');
  let from: number;
  let exit: Omit<ChildExit, 'tail'>;
  try {
    await log.write(`\n$ vae-train ${args.join(' ')}\n`);
    from = (await log.stat()).size;
    // The child writes its log itself: through a pipe of ours it would die of EPIPE with a killed sweep.
    const child = spawn(process.execPath, ['--import', files.parentWatch, files.cli, ...args], {
      stdio: ['pipe', opts.captureStdout ? 'pipe' : log.fd, log.fd],
      detached: true,
    });
    live.add(child);
    const started = child.pid !== undefined && opts.onStart ? opts.onStart(child.pid) : Promise.resolve();
    let stdout = '';
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stdout.length > 1 << 20) stdout = stdout.slice(-(1 << 20));
    });
    // Nothing is ever written to the pipe; an EPIPE after the child exits must not crash the sweep.
    child.stdin!.on('error', () => {});
    exit = await new Promise((resolve, reject) => {
      child.on('error', (e) => {
        live.delete(child);
        reject(e);
      });
      child.on('close', (code, signal) => {
        live.delete(child);
        resolve({ code, signal, stdout });
      });
    });
    await started;
  } finally {
    await log.close();
  }
  return { ...exit, tail: await readTail(logFile, from) };
}

/** The end of what the child wrote to the log, at most {@link TAIL_CHARS} bytes of it. */
async function readTail(logFile: string, from: number): Promise<string> {
  const h = await fs.open(logFile, 'r');
  try {
    const size = (await h.stat()).size;
    const start = Math.max(from, size - TAIL_CHARS);
    const buf = Buffer.alloc(Math.max(0, size - start));
    await h.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    await h.close();
  }
}
