import { beforeEach, describe, expect, it, vi } from 'vitest';

// Two fake onnxruntime-web builds: which one a device loads, and what ends up in its env.wasm.
const builds = vi.hoisted(() => {
  const fake = () => ({
    created: [] as { device: string; provider: unknown; model: Uint8Array }[],
    env: { wasm: {} as Record<string, unknown>, webgl: {} as Record<string, unknown> },
    Tensor: class {},
    InferenceSession: { create: async (_model: Uint8Array, _o: { executionProviders: { name: string }[] }): Promise<unknown> => null },
  });
  const builds = { full: fake(), wasm: fake(), webgl: fake() };
  for (const b of Object.values(builds)) {
    b.InferenceSession.create = async (_m, o) => {
      b.created.push({ device: o.executionProviders[0].name, provider: o.executionProviders[0], model: _m });
      return { inputMetadata: [], outputMetadata: [], inputNames: ['z'], outputNames: ['x'], run: async () => ({}), release: async () => {} };
    };
  }
  return builds;
});
vi.mock('onnxruntime-web', () => ({ default: builds.full }));
vi.mock('onnxruntime-web/wasm', () => ({ default: builds.wasm }));
vi.mock('onnxruntime-web/webgl', () => ({ default: builds.webgl }));
const loaded = () => Object.entries(builds).filter(([, b]) => b.created.length).map(([k]) => k);

beforeEach(() => {
  vi.resetModules();
  for (const k of Object.keys(sdkEnv.backends.onnx.wasm)) delete (sdkEnv.backends.onnx.wasm as Record<string, unknown>)[k];
  for (const b of Object.values(builds)) {
    b.created.length = 0;
    b.env.wasm = {};
  }
});
const backend = async () => (await import('./onnx-web.js')).webBackend;
// The env object of the module graph vi.resetModules() gives the next import.
let sdkEnv: typeof import('../env.js')['env'] = { backends: { onnx: { wasm: {} } } } as never;
const freshEnv = async () => (sdkEnv = (await import('../env.js')).env);
const bytes = new Uint8Array([1]);
// ir_version 8 and an empty graph: a valid ModelProto with nothing to fold.
const emptyModel = Uint8Array.of(0x08, 0x08, 0x3a, 0x00);
// A graph with one DequantizeLinear of int8 initializers, written with the SDK's own wire writer.
const dqModel = await (async () => {
  const { concat, lenField, varintField } = await import('./protobuf-wire.js');
  const t = (s: string) => new TextEncoder().encode(s);
  const tensor = (name: string, type: number, dims: number[], raw: Uint8Array) => lenField(5, ...dims.map((d) => varintField(1, d)), varintField(2, type), lenField(8, t(name)), lenField(9, raw));
  const node = lenField(1, lenField(1, t('q')), lenField(1, t('s')), lenField(2, t('w')), lenField(4, t('DequantizeLinear')));
  return concat([varintField(1, 8), lenField(7, node, tensor('q', 3, [2, 2], Int8Array.of(1, 2, 3, 4) as unknown as Uint8Array), tensor('s', 1, [2], new Uint8Array(Float32Array.of(0.5, 2).buffer)))]);
})();

describe('onnxruntime-web backend', () => {
  it("'webgl' loads only onnxruntime-web/webgl, with the table's webgl provider, and runs every dtype", async () => {
    const b = await backend();
    const s = await b.createSession(emptyModel, 'webgl', {});
    expect(loaded()).toEqual(['webgl']);
    const { DEVICE_TO_EXECUTION_PROVIDER } = await import('./registry.js');
    expect(builds.webgl.created[0].provider).toBe(DEVICE_TO_EXECUTION_PROVIDER.webgl);
    expect(s.inputs.map((v) => v.name)).toEqual(['z']);
    expect(b.dtypesFor?.('webgl')).toBeUndefined();
    expect(b.dtypesFor?.('wasm')).toBeUndefined();
    expect(b.dtypesFor?.('webgpu')).toEqual(['fp32', 'fp16']);
    expect(b.devices).toEqual(['auto', 'wasm', 'webgpu', 'webgl']);
    expect(b.autoOrder).toEqual(['webgpu', 'wasm']);
  });

  it("auto tries webgl first for an int8 model (the lightest path) and webgpu, then wasm, for the others", async () => {
    const b = await backend();
    expect(b.autoOrderFor?.('int8')).toEqual(['webgl', 'webgpu', 'wasm']);
    expect(b.autoOrderFor?.('fp32')).toEqual(['webgpu', 'wasm']);
    expect(b.autoOrderFor?.('fp16')).toEqual(['webgpu', 'wasm']);
    expect(b.autoRule).toMatch(/^int8 runs on webgl where WebGL2 is on a GPU \(no \.wasm: /);
  });

  it('auto passes over webgl when WebGL2 renders on the CPU (SwiftShader), naming the renderer; a GPU renderer is kept', async () => {
    const b = await backend();
    const withRenderer = async (renderer: string) => {
      const gl = { RENDERER: 1, getExtension: () => ({ UNMASKED_RENDERER_WEBGL: 2 }), getParameter: (p: number) => (p === 2 ? renderer : 'WebKit WebGL') };
      vi.stubGlobal('OffscreenCanvas', class { getContext = () => gl; });
      try {
        return await b.autoSkip?.('webgl');
      } finally {
        vi.unstubAllGlobals();
      }
    };
    expect(await withRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(
      "WebGL2 renders on the CPU here (ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)): it decodes 20× slower than wasm; pass { device: 'webgl' } to use it",
    );
    expect(await withRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)')).toBeNull();
    expect(await b.autoSkip?.('wasm')).toBeNull();
  });

  it("'webgl' hands the runtime the int8 graph with its DequantizeLinear folded into a float32 initializer; 'wasm' the bytes as they are", async () => {
    const b = await backend();
    await b.createSession(dqModel, 'webgl', {});
    const { rewriteForWebgl } = await import('./onnx-rewrite.js');
    expect(Array.from(builds.webgl.created[0].model)).toEqual(Array.from(rewriteForWebgl(dqModel)));
    // Unpacked shaders: 0.2–0.7 s less compiling on a first run (onnx-web.ts).
    expect(builds.webgl.env.webgl.pack).toBe(false);
    expect(builds.webgl.created[0].model.length).not.toBe(dqModel.length);
    await b.createSession(dqModel, 'wasm', {});
    expect(builds.wasm.created[0].model).toBe(dqModel);
  });

  it("'webgl' refuses a malformed model with a VAEModelError before the runtime sees it", async () => {
    const b = await backend();
    await expect(b.createSession(bytes, 'webgl', {})).rejects.toThrow('not valid ONNX protobuf: the model: field number 0 at byte 0 is not a valid field number; expected a ModelProto as onnx.proto defines it');
    await expect(b.createSession(bytes, 'webgl', {})).rejects.toMatchObject({ name: 'VAEModelError', code: 'model' });
    expect(builds.webgl.created).toHaveLength(0);
  });

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

  it('passes the device table entry itself as executionProviders to InferenceSession.create', async () => {
    const b = await backend();
    const { DEVICE_TO_EXECUTION_PROVIDER } = await import('./registry.js');
    await b.createSession(bytes, 'wasm', {});
    await b.createSession(bytes, 'webgpu', {});
    expect(builds.wasm.created[0].provider).toBe(DEVICE_TO_EXECUTION_PROVIDER.wasm);
    expect(builds.full.created[0].provider).toBe(DEVICE_TO_EXECUTION_PROVIDER.webgpu);
    // The entries are provider options objects, not bare names.
    expect(builds.wasm.created[0].provider).toEqual({ name: 'wasm' });
    expect(builds.full.created[0].provider).toEqual({ name: 'webgpu' });
  });

  it('sets ort.env.wasm from env.backends.onnx.wasm (wasmPaths, numThreads, proxy) before the first session of each build', async () => {
    const b = await backend();
    const env = await freshEnv();
    Object.assign(env.backends.onnx.wasm, { wasmPaths: new URL('https://example.test/ort/'), proxy: true });
    await b.createSession(bytes, 'wasm', { threads: 2 });
    expect(builds.wasm.env.wasm).toEqual({ numThreads: 2, proxy: true, wasmPaths: 'https://example.test/ort/' });
    for (const k of Object.keys(env.backends.onnx.wasm)) delete (env.backends.onnx.wasm as Record<string, unknown>)[k];
    Object.assign(env.backends.onnx.wasm, { wasmPaths: { wasm: '/ort/x.wasm' }, numThreads: 4 });
    await b.createSession(bytes, 'webgpu', { threads: 2 });
    expect(builds.full.env.wasm).toEqual({ numThreads: 4, wasmPaths: { wasm: '/ort/x.wasm' } });
    // Read once per build: later settings don't change a started runtime.
    env.backends.onnx.wasm.wasmPaths = '/other/';
    await b.createSession(bytes, 'webgpu', {});
    expect(builds.full.env.wasm.wasmPaths).toEqual({ wasm: '/ort/x.wasm' });
  });

  it('runs of different sessions never overlap (onnxruntime-web WebGPU refuses a second run: "Session already started")', async () => {
    let active = 0;
    let most = 0;
    const order: string[] = [];
    builds.full.InferenceSession.create = async () => ({
      inputMetadata: [],
      outputMetadata: [],
      run: async (feeds: Record<string, unknown>) => {
        const id = Object.keys(feeds)[0];
        most = Math.max(most, ++active);
        order.push(`start ${id}`);
        await new Promise((r) => setTimeout(r, 5));
        order.push(`end ${id}`);
        active--;
        if (id === 'bad') throw new Error('a failed run');
        return {};
      },
      release: async () => {},
    });
    try {
      const b = await backend();
      const [s1, s2] = [await b.createSession(bytes, 'webgpu', {}), await b.createSession(bytes, 'webgpu', {})];
      const x = new Float32Array(1);
      // A failed run does not stall the runs queued behind it.
      const failing = s2.run('bad', x, [1], []).catch((e: Error) => e.message);
      const rest = Promise.all([s1.run('a', x, [1], []), s2.run('b', x, [1], []), s1.run('c', x, [1], [])]);
      expect(await failing).toBe('a failed run');
      await rest;
      expect(most).toBe(1);
      expect(order).toEqual(['start bad', 'end bad', 'start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    } finally {
      builds.full.InferenceSession.create = async (_m, o) => {
        builds.full.created.push({ device: o.executionProviders[0].name, provider: o.executionProviders[0], model: _m });
        return { inputMetadata: [], outputMetadata: [], run: async () => ({}), release: async () => {} };
      };
    }
  });

  it('a wrong env.backends.onnx.wasm value is a VAEInputError naming the key, at session start', async () => {
    const b = await backend();
    const env = await freshEnv();
    const { VAEInputError } = await import('../errors.js');
    (env.backends.onnx.wasm as Record<string, unknown>).proxy = 'yes';
    const err = await b.createSession(bytes, 'wasm', {}).catch((e) => e);
    expect(err).toBeInstanceOf(VAEInputError);
    expect(err.message).toBe('env.backends.onnx.wasm.proxy must be a boolean, got "yes"');
    delete (env.backends.onnx.wasm as Record<string, unknown>).proxy;
    (env.backends.onnx.wasm as Record<string, unknown>).wasmPath = '/ort/';
    const typo = await b.createSession(bytes, 'wasm', {}).catch((e) => e);
    expect(typo).toBeInstanceOf(VAEInputError);
    expect(typo.message).toBe('env.backends.onnx.wasm has an unknown key "wasmPath"; expected only wasmPaths, numThreads, proxy');
    expect(builds.wasm.created).toHaveLength(0);
  });
});
