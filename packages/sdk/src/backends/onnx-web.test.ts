import { beforeEach, describe, expect, it, vi } from 'vitest';

// Two fake onnxruntime-web builds: which one a device loads, and what ends up in its env.wasm.
const builds = vi.hoisted(() => {
  const fake = () => ({
    created: [] as { device: string }[],
    env: { wasm: {} as Record<string, unknown> },
    Tensor: class {},
    InferenceSession: { create: async (_model: Uint8Array, _o: { executionProviders: string[] }): Promise<unknown> => null },
  });
  const builds = { full: fake(), wasm: fake() };
  for (const b of Object.values(builds)) {
    b.InferenceSession.create = async (_m, o) => {
      b.created.push({ device: o.executionProviders[0] });
      return { inputMetadata: [], outputMetadata: [], run: async () => ({}), release: async () => {} };
    };
  }
  return builds;
});
vi.mock('onnxruntime-web', () => ({ default: builds.full }));
vi.mock('onnxruntime-web/wasm', () => ({ default: builds.wasm }));
const loaded = () => Object.entries(builds).filter(([, b]) => b.created.length).map(([k]) => k);

beforeEach(() => {
  vi.resetModules();
  for (const b of Object.values(builds)) {
    b.created.length = 0;
    b.env.wasm = {};
  }
});
const backend = async () => (await import('./onnx-web.js')).webBackend;
const bytes = new Uint8Array([1]);

describe('onnxruntime-web backend', () => {
  it("'wasm' loads only onnxruntime-web/wasm; 'webgpu' the full build, which later wasm sessions reuse", async () => {
    const b = await backend();
    await b.createSession(bytes, 'wasm', {});
    expect(loaded()).toEqual(['wasm']);
    expect(builds.wasm.created.map((c) => c.device)).toEqual(['wasm']);
    await b.createSession(bytes, 'webgpu', {});
    expect(builds.full.created.map((c) => c.device)).toEqual(['webgpu']);
    // A webgpu → wasm fallback or switch stays on the build that is already there.
    await b.createSession(bytes, 'wasm', {});
    expect(builds.full.created.map((c) => c.device)).toEqual(['webgpu', 'wasm']);
    expect(builds.wasm.created).toHaveLength(1);
  });

  it('webgpu first, then wasm: one runtime download', async () => {
    const b = await backend();
    await b.createSession(bytes, 'webgpu', {});
    await b.createSession(bytes, 'wasm', {});
    expect(loaded()).toEqual(['full']);
  });

  it('sets ort.env.wasm (wasmPaths, numThreads, proxy) before the first session of each build', async () => {
    const b = await backend();
    await b.createSession(bytes, 'wasm', { threads: 2, wasm: { wasmPaths: new URL('https://example.test/ort/'), proxy: true } });
    expect(builds.wasm.env.wasm).toEqual({ numThreads: 2, proxy: true, wasmPaths: 'https://example.test/ort/' });
    await b.createSession(bytes, 'webgpu', { threads: 2, wasm: { wasmPaths: { wasm: '/ort/x.wasm' }, numThreads: 4 } });
    expect(builds.full.env.wasm).toEqual({ numThreads: 4, wasmPaths: { wasm: '/ort/x.wasm' } });
    // Read once per build: later options don't change a started runtime.
    await b.createSession(bytes, 'webgpu', { wasm: { wasmPaths: '/other/' } });
    expect(builds.full.env.wasm.wasmPaths).toEqual({ wasm: '/ort/x.wasm' });
  });
});
