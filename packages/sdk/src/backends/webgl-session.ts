/**
 * A {@link BackendSession} over onnxruntime-web's WebGL build, which differs
 * from its other builds in three ways that the rest of the SDK must not see:
 *
 * - it cannot report input/output metadata (it throws "Getting model metadata
 *   is not supported"), so names come from `inputNames`/`outputNames` and the
 *   types are float32 (every graph input and output of a VAE is, and model.json
 *   says so);
 * - its input check rejects a symbolic batch dimension (`N`) on a session's
 *   first run, and then fixes every later run to that first run's shape. So
 *   one session serves one batch size: a batch of n runs on the session of the
 *   next power of two (at most 11 sessions up to 1024, the most recent
 *   {@link MAX_WEBGL_SESSIONS} kept), padded with zeros and cut back;
 * - that first run is refused once by the shape check, by design of that
 *   check, and is simply run again (the shape is then the session's own).
 */
import type { BackendSession, ExtraFeed, ValueMeta } from './types.js';

/** Sessions (batch sizes) kept per graph; more are released, least recently used first. */
export const MAX_WEBGL_SESSIONS = 4;

/** The WebGL build's session, as far as it is used here. @internal */
export interface WebglOrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches: string[]): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

const FIRST_RUN_SHAPE_CHECK = /input tensor\[\d+\] check failed: expected shape/;

/** The power of two a batch of `n` runs at. @internal */
export const webglBucket = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

function padRows(data: Float32Array, n: number, rows: number): Float32Array {
  if (rows === n) return data;
  const out = new Float32Array((data.length / n) * rows);
  out.set(data);
  return out;
}

/**
 * Wraps the WebGL build's sessions of one graph. `create` starts another
 * session of the same graph (one per batch size); `first` is the one already
 * started, which serves the first batch size asked for.
 * @internal
 */
export function webglSession(
  ort: { Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown },
  first: WebglOrtSession,
  create: () => Promise<WebglOrtSession>,
): BackendSession {
  const meta = (names: readonly string[]): ValueMeta[] => names.map((name) => ({ name, type: 'float32', shape: [] }));
  let unclaimed: WebglOrtSession | undefined = first;
  const sessions = new Map<number, Promise<WebglOrtSession>>();
  const sessionFor = (rows: number): Promise<WebglOrtSession> => {
    let s = sessions.get(rows);
    if (s) {
      sessions.delete(rows); // re-inserted below: Map order is the LRU order
    } else {
      s = unclaimed ? Promise.resolve(unclaimed) : create();
      unclaimed = undefined;
    }
    sessions.set(rows, s);
    while (sessions.size > MAX_WEBGL_SESSIONS) {
      const [oldest, old] = sessions.entries().next().value as [number, Promise<WebglOrtSession>];
      sessions.delete(oldest);
      void old.then((o) => o.release()).catch(() => {});
    }
    return s;
  };
  return {
    inputs: meta(first.inputNames),
    outputs: meta(first.outputNames),
    async run(input: string, data: Float32Array, dims: readonly number[], fetches: readonly string[], extra: readonly ExtraFeed[] = []) {
      const n = dims[0];
      const rows = webglBucket(n);
      const feeds: Record<string, unknown> = { [input]: new ort.Tensor('float32', padRows(data, n, rows), [rows, ...dims.slice(1)]) };
      for (const f of extra) feeds[f.name] = new ort.Tensor('float32', padRows(f.data, f.dims[0], rows), [rows, ...f.dims.slice(1)]);
      const session = await sessionFor(rows);
      const result = await session.run(feeds, fetches as string[]).catch((e: unknown) => {
        if (!FIRST_RUN_SHAPE_CHECK.test(String((e as Error)?.message ?? e))) throw e;
        return session.run(feeds, fetches as string[]);
      });
      const out: Record<string, Float32Array> = {};
      for (const name of fetches) {
        const all = result[name].data as Float32Array;
        out[name] = rows === n ? all : all.subarray(0, (all.length / rows) * n);
      }
      return out;
    },
    async release() {
      const all = [...sessions.values()];
      sessions.clear();
      if (unclaimed) all.push(Promise.resolve(unclaimed));
      unclaimed = undefined;
      await Promise.all(all.map((s) => s.then((o) => o.release())));
    },
  };
}
