/**
 * A small pool of `worker_threads` that run GEMM-kernel jobs on the
 * WebAssembly module's shared memory, so a training step uses every core.
 *
 * tfjs' cpu kernels are synchronous, so the calling thread works on a job
 * too and then blocks on `Atomics.wait` until the workers are done; no
 * promise or message crosses threads per job. Jobs are cut into chunks that
 * every thread claims until none is left, because a sleeping worker takes
 * ~100 µs to wake here, longer than many jobs: a late worker simply finds
 * less to do. Workers spin on the control words for a few hundred
 * microseconds before sleeping.
 */
import { Worker } from 'node:worker_threads';
import type { RawKernels } from './parallel-jobs.js';
import { JOB_SLOTS, runJob } from './parallel-jobs.js';

// Control words (Int32 indices).
const SEQ = 0; // bumped once per job
const FINISHED = 1; // chunks of the current job done
const READY = 2; // workers that have instantiated the module
const FAILED = 3; // set by a thread whose chunk threw
const NEXT = 4; // (job tag << 12) | next unclaimed chunk
const CHUNKS = 5; // chunks of the current job
const ARGS = 8;

/** Chunks a job is cut into per thread: enough that a late thread finds work, few enough that claiming costs nothing. */
const CHUNKS_PER_THREAD = 8;
/** Chunk indices fit in the low 12 bits of NEXT. */
const MAX_CHUNKS = 4095;
/** Polls of a control word before falling asleep on it (~350 µs at ~17 ns a poll). */
const SPINS = 20000;
/** How long the caller waits for a worker before giving up on the pool. */
const STALL_MS = 60_000;

/**
 * Claims and runs chunks of job `tag` until none is left: the body of every
 * thread, the caller's included. A claim is a compare-and-swap on NEXT that
 * also checks the job tag, so a worker that wakes after its job is over can
 * never take a chunk of the next one with stale arguments. Self-contained:
 * the workers get its source text.
 */
function drain(control: Int32Array, args: Int32Array, ex: RawKernels, tag: number, slot: number, run: typeof runJob): void {
  for (;;) {
    const cur = Atomics.load(control, 4);
    if ((cur & ~0xfff) !== tag) return;
    const c = cur & 0xfff;
    const chunks = Atomics.load(control, 5);
    if (c >= chunks) return;
    if (Atomics.compareExchange(control, 4, cur, cur + 1) !== cur) continue;
    try {
      run(ex, args, c, chunks, slot);
    } catch {
      Atomics.store(control, 3, 1);
    }
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
  }
}

function workerSource(): string {
  return `'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, control, index } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const runJob = ${runJob.toString()};
const drain = ${drain.toString()};
const args = control.subarray(${ARGS}, ${ARGS + JOB_SLOTS});
Atomics.add(control, ${READY}, 1);
Atomics.notify(control, ${READY});
let seen = 0;
for (;;) {
  for (let k = 0; k < ${SPINS} && Atomics.load(control, ${SEQ}) === seen; k++);
  if (Atomics.load(control, ${SEQ}) === seen) Atomics.wait(control, ${SEQ}, seen);
  const seq = Atomics.load(control, ${SEQ});
  if (seq === seen) continue;
  seen = seq;
  drain(control, args, ex, (seq & 0x7ffff) << 12, index, runJob);
}
`;
}

/** Raised when the pool's workers fail or stall; the kernels then run on one thread. */
export class KernelPoolError extends Error {
  override name = 'KernelPoolError';
}

/** `threads - 1` workers plus the calling thread, all on one shared WebAssembly memory. */
export class KernelPool {
  readonly threads: number;
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (ARGS + JOB_SLOTS)));
  private readonly args = this.control.subarray(ARGS, ARGS + JOB_SLOTS);
  private readonly workers: Worker[] = [];
  private seq = 0;

  /**
   * Starts the workers and waits (synchronously, at most `startMs`) until each
   * has instantiated the module.
   * @throws KernelPoolError when they do not start in time.
   */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, private readonly main: RawKernels, threads: number, startMs = 10_000) {
    this.threads = threads;
    for (let index = 1; index < threads; index++) {
      const w = new Worker(workerSource(), { eval: true, workerData: { module, memory, control: this.control, index } });
      // The pool must never keep a finished training process alive.
      w.unref();
      this.workers.push(w);
    }
    const deadline = performance.now() + startMs;
    let ready: number;
    while ((ready = Atomics.load(this.control, READY)) < threads - 1) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.close();
        throw new KernelPoolError(`${ready} of ${threads - 1} kernel worker threads started within ${startMs} ms`);
      }
      Atomics.wait(this.control, READY, ready, left);
    }
  }

  /**
   * Runs a job (see parallel-jobs.ts) on every thread and returns when all
   * its chunks are done.
   * @throws KernelPoolError when a chunk failed (a WebAssembly trap, on any
   *   thread) or a worker stalled.
   */
  run(job: readonly number[]): void {
    const c = this.control;
    this.args.set(job);
    const seq = (this.seq = (this.seq + 1) & 0x7ffff);
    const tag = seq << 12;
    const chunks = Math.min(MAX_CHUNKS, CHUNKS_PER_THREAD * this.threads);
    Atomics.store(c, FINISHED, 0);
    Atomics.store(c, CHUNKS, chunks);
    Atomics.store(c, NEXT, tag);
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
    drain(c, this.args, this.main, tag, 0, runJob);
    // Every chunk is claimed; wait for the ones still running elsewhere.
    for (let k = 0; k < SPINS && Atomics.load(c, FINISHED) < chunks; k++);
    const deadline = performance.now() + STALL_MS;
    let done: number;
    while ((done = Atomics.load(c, FINISHED)) < chunks) {
      const left = deadline - performance.now();
      if (left <= 0) throw new KernelPoolError(`${chunks - done} chunks of a kernel job were not finished by the worker threads within ${STALL_MS} ms`);
      Atomics.wait(c, FINISHED, done, left);
    }
    if (Atomics.load(c, FAILED)) {
      Atomics.store(c, FAILED, 0);
      throw new KernelPoolError('a chunk of a kernel job failed (a WebAssembly trap: an operand outside the memory?)');
    }
  }

  /** Stops the workers. */
  close(): void {
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
