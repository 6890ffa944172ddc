import { describe, expect, it } from 'vitest';
import type { WebglOrtSession } from './webgl-session.js';
import { MAX_WEBGL_SESSIONS, webglBucket, webglSession } from './webgl-session.js';

class Tensor {
  constructor(
    readonly type: string,
    readonly data: Float32Array,
    readonly dims: readonly number[],
  ) {}
}

/** A fake of the WebGL build's session: refuses its first run by the shape check, then accepts only that run's shape; doubles x. */
function fakeSession(log: string[], id: number): WebglOrtSession {
  let shape: string | undefined;
  return {
    inputNames: ['z'],
    outputNames: ['x'],
    async run(feeds) {
      const t = feeds.z as Tensor;
      const dims = t.dims.join(',');
      if (shape === undefined) {
        shape = dims;
        log.push(`${id}: first run refused`);
        throw new Error(`input tensor[0] check failed: expected shape '[,2]' but got [${dims}]`);
      }
      if (dims !== shape) throw new Error(`input tensor[0] check failed: expected shape '[${shape}]' but got [${dims}]`);
      log.push(`${id}: ran [${dims}]`);
      return { x: { data: t.data.map((v) => 2 * v) } };
    },
    async release() {
      log.push(`${id}: released`);
    },
  };
}

describe('webglSession (onnxruntime-web WebGL build)', () => {
  it('runs a batch of n on the session of the next power of two, zero-padded and cut back, retrying the first run the shape check refuses', async () => {
    const log: string[] = [];
    let next = 0;
    const s = webglSession({ Tensor } as never, fakeSession(log, next++), async () => fakeSession(log, next++));
    expect(s.inputs).toEqual([{ name: 'z', type: 'float32', shape: [] }]);
    expect(s.outputs).toEqual([{ name: 'x', type: 'float32', shape: [] }]);
    const r = await s.run('z', Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2], ['x']);
    expect(Array.from(r.x)).toEqual([2, 4, 6, 8, 10, 12]);
    const again = await s.run('z', Float32Array.of(1, 1, 1, 1), [2, 2], ['x']);
    expect(Array.from(again.x)).toEqual([2, 2, 2, 2]);
    await s.run('z', Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1), [4, 2], ['x']);
    expect(log).toEqual(['0: first run refused', '0: ran [4,2]', '1: first run refused', '1: ran [2,2]', '0: ran [4,2]']);
    expect([1, 2, 3, 5, 64, 65, 1024].map(webglBucket)).toEqual([1, 2, 4, 8, 64, 128, 1024]);
  });

  it(`keeps at most ${MAX_WEBGL_SESSIONS} batch sizes, releasing the least recently used; release() releases the rest`, async () => {
    const log: string[] = [];
    let next = 0;
    const s = webglSession({ Tensor } as never, fakeSession(log, next++), async () => fakeSession(log, next++));
    for (const n of [1, 2, 4, 8, 16]) await s.run('z', new Float32Array(2 * n), [n, 2], ['x']);
    await new Promise((r) => setTimeout(r, 0));
    expect(log.filter((l) => l.endsWith('released'))).toEqual(['0: released']);
    await s.release();
    expect(log.filter((l) => l.endsWith('released')).sort()).toEqual(['0: released', '1: released', '2: released', '3: released', '4: released']);
  });

  it('passes any other error through', async () => {
    const broken: WebglOrtSession = { inputNames: ['z'], outputNames: ['x'], run: async () => Promise.reject(new Error('WebGL context lost')), release: async () => {} };
    const s = webglSession({ Tensor } as never, broken, async () => broken);
    await expect(s.run('z', new Float32Array(2), [1, 2], ['x'])).rejects.toThrow(/^WebGL context lost$/);
  });
});
