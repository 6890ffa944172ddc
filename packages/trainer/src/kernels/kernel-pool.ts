/**
 * A small pool of `worker_threads` that run GEMM-kernel jobs on the
 * WebAssembly module's shared memory, so a training step uses every core.
 *
 * tfjs' cpu kernels are synchronous, so the calling thread takes share 0 of a
 * job itself and then blocks on `Atomics.wait` until the workers are done; no
 * promise or message crosses threads per job. Each side spins on the control
 * words for a few tens of microseconds before sleeping: a futex wake-up costs
 * ~100 µs here, longer than many of the jobs.
 */
import { Worker } from 'node:worker_threads';
import type { RawKernels } from './parallel-jobs.js';
import { JOB_SLOTS, runJob } from './parallel-jobs.js';

// Control words (Int32 indices).
const SEQ = 0; // bumped once per job
const DONE = 1; // workers finished with the current job
const READY = 2; // workers that have instantiated the module
const FAILED = 3; // set by a worker whose share threw
const ARGS = 8;

/** Polls of a control word before falling asleep on it (~30 µs). */
const SPINS = 20000;
/** How long the caller waits for a worker before giving up on the pool. */
const STALL_MS = 60_000;

function workerSource(): string {
  return `'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, control, index, threads } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const runJob = ${runJob.toString()};
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
  try { runJob(ex, args, index, threads); } catch (e) { Atomics.store(control, ${FAILED}, 1); }
  Atomics.add(control, ${DONE}, 1);
  Atomics.notify(control, ${DONE});
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

  /**
   * Starts the workers and waits (synchronously, at most `startMs`) until each
   * has instantiated the module.
   * @throws KernelPoolError when they do not start in time.
   */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, private readonly main: RawKernels, threads: number, startMs = 10_000) {
    this.threads = threads;
    for (let index = 1; index < threads; index++) {
      const w = new Worker(workerSource(), { eval: true, workerData: { module, memory, control: this.control, index, threads } });
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
   * shares are done.
   * @throws KernelPoolError when a worker's share failed or stalled; the
   *   caller's own share rethrows its error, after the workers are done.
   */
  run(job: readonly number[]): void {
    const c = this.control;
    this.args.set(job);
    Atomics.store(c, DONE, 0);
    Atomics.add(c, SEQ, 1);
    Atomics.notify(c, SEQ);
    try {
      runJob(this.main, this.args, 0, this.threads);
    } finally {
      // Even when this thread's share threw: a worker still finishing this
      // job must not count towards the next one.
      this.join();
    }
    if (Atomics.load(c, FAILED)) {
      Atomics.store(c, FAILED, 0);
      throw new KernelPoolError('a kernel worker thread failed its share of a job (a WebAssembly trap: an operand outside the memory?)');
    }
  }

  private join(): void {
    const c = this.control;
    const want = this.threads - 1;
    for (let k = 0; k < SPINS && Atomics.load(c, DONE) < want; k++);
    const deadline = performance.now() + STALL_MS;
    let done: number;
    while ((done = Atomics.load(c, DONE)) < want) {
      const left = deadline - performance.now();
      if (left <= 0) throw new KernelPoolError(`${want - done} kernel worker threads did not finish a job within ${STALL_MS} ms`);
      Atomics.wait(c, DONE, done, left);
    }
  }

  /** Stops the workers. */
  close(): void {
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
