// A long-lived PyTorch peer process spoken to one JSON line at a time, so
// that its warm-up happens once, like the project's, and its timed rounds can
// be interleaved with the project's in the same run.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The peer's environment: one OpenBLAS thread and one OpenMP thread, so that
 * the only threads PyTorch uses are the ones it is given with
 * torch.set_num_threads (letting OpenBLAS and OpenMP both start threads made
 * PyTorch 75x slower in one run on this 2-core machine).
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {NodeJS.ProcessEnv}
 */
export function peerEnv(env = process.env) {
  return { ...env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
}

/**
 * Starts `python args...` and returns a handle whose `request(line)` sends a
 * command line and resolves with the next JSON line the peer prints (`next()`
 * reads one without sending). A peer that dies rejects with its stderr.
 * @param {string} python
 * @param {string[]} args
 */
export function startPeer(python, args) {
  const child = spawn(python, args, { env: peerEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // A peer that died leaves a closed pipe; the failure is reported by next().
  child.stdin.on('error', () => {});
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let spawnError = null;
  child.on('error', (e) => (spawnError = e));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (!r.done) return JSON.parse(r.value);
    const { code, signal } = await exited;
    const why = spawnError?.message ?? stderr.trim().split('\n').slice(-20).join('\n');
    throw new Error(`the PyTorch peer (${python} ${args.join(' ')}) exited (${signal ?? `code ${code}`}) before answering:\n${why}`);
  };
  return {
    next,
    /** @param {string} line */
    request(line) {
      child.stdin.write(`${line}\n`);
      return next();
    },
    async close() {
      child.stdin.end();
      await exited;
    },
    kill() {
      child.kill();
    },
  };
}
