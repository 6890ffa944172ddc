import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixtureModel } from '../../test/fixtures.js';
import { VAEDeviceError } from '../errors.js';
import { nodeBackend } from './onnx-node.js';
import { installPlatform } from '../platform.js';
import { DEVICE_TO_EXECUTION_PROVIDER, executionProvidersFor, getBackend, startOnDevice } from './registry.js';
import type { Backend, ConcreteDevice } from './types.js';

function fakeBackend(fail: Partial<Record<ConcreteDevice, string>>, pre: Partial<Record<ConcreteDevice, string>> = {}): Backend {
  return {
    runtime: 'fake-runtime',
    devices: ['auto', 'cpu', 'cuda', 'webgpu'],
    autoOrder: ['cuda', 'webgpu', 'cpu'],
    precheck: async (d) => pre[d] ?? null,
    createSession: async (_m, d) => {
      if (fail[d]) throw new Error(fail[d]);
      return { inputs: [], outputs: [], run: async () => ({}), release: async () => {} };
    },
    capabilities: async () => ({}),
  };
}

const registerBackend = (backend: Backend) => installPlatform({ name: 'node', backend, stringsArePaths: true });
afterEach(() => registerBackend(nodeBackend));

describe('device table and selection', () => {
  it('maps each device to its execution provider options through one frozen table', () => {
    expect(Object.isFrozen(DEVICE_TO_EXECUTION_PROVIDER)).toBe(true);
    expect(DEVICE_TO_EXECUTION_PROVIDER).toEqual({ cpu: { name: 'cpu' }, cuda: { name: 'cuda' }, webgpu: { name: 'webgpu' }, wasm: { name: 'wasm' }, webgl: { name: 'webgl' } });
    for (const entry of Object.values(DEVICE_TO_EXECUTION_PROVIDER)) expect(Object.isFrozen(entry)).toBe(true);
    expect(() => ((DEVICE_TO_EXECUTION_PROVIDER as Record<string, unknown>).cpu = 'x')).toThrow(TypeError);
    expect(() => ((DEVICE_TO_EXECUTION_PROVIDER.webgpu as Record<string, unknown>).preferredLayout = 'NHWC')).toThrow(TypeError);
    expect(executionProvidersFor('webgpu')[0]).toBe(DEVICE_TO_EXECUTION_PROVIDER.webgpu);
  });

  it('executionProvidersFor an unknown device is a VAEDeviceError listing the valid ones', () => {
    const err = (() => {
      try {
        return executionProvidersFor('tpu' as never);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(VAEDeviceError);
    expect((err as Error).message).toBe('unknown device "tpu"; expected one of cpu, cuda, webgpu, wasm, webgl');
    // Inherited keys are not devices.
    expect(() => executionProvidersFor('toString' as never)).toThrow(/unknown device "toString"/);
  });

  it('the onnxruntime-node session starts with the table entry as its executionProviders', async () => {
    const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
    const spy = vi.spyOn(ort.InferenceSession, 'create');
    try {
      const s = await nodeBackend.createSession(fixtureModel().decoder, 'cpu', {});
      await s.release();
      expect(spy).toHaveBeenCalledTimes(1);
      const providers = (spy.mock.calls[0][1] as { executionProviders: unknown[] }).executionProviders;
      expect(providers).toHaveLength(1);
      expect(providers[0]).toBe(DEVICE_TO_EXECUTION_PROVIDER.cpu);
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects an unknown device, listing the valid ones', async () => {
    registerBackend(fakeBackend({}));
    await expect(startOnDevice('tpu' as never, async () => 1)).rejects.toThrow(/unknown device "tpu" for fake-runtime; expected one of auto, cpu, cuda, webgpu/);
    registerBackend(nodeBackend);
    await expect(startOnDevice('tpu' as never, async () => 1)).rejects.toThrow(/expected one of auto, cpu, cuda, webgpu, wasm$/);
  });

  it('auto falls back in order and reports why each earlier device was skipped', async () => {
    const b = fakeBackend({ webgpu: 'no adapter' }, { cuda: 'not installed' });
    registerBackend(b);
    const r = await startOnDevice('auto', (be, d) => be.createSession(new Uint8Array(), d, {}));
    expect(r.device).toBe('cpu');
    expect(r.executionProvider).toBe('cpu');
    expect(r.skipped).toEqual([
      { device: 'cuda', reason: 'not installed' },
      { device: 'webgpu', reason: 'no adapter' },
    ]);
  });

  it('an explicit device that cannot start throws one VAEDeviceError with the reason', async () => {
    registerBackend(fakeBackend({ webgpu: 'no adapter' }));
    const err = await startOnDevice('webgpu', (be, d) => be.createSession(new Uint8Array(), d, {})).catch((e) => e);
    expect(err).toBeInstanceOf(VAEDeviceError);
    expect(err.message).toMatch(/device 'webgpu' could not start:\n {2}- webgpu: no adapter/);
    expect(err.failures).toEqual([{ device: 'webgpu', reason: 'no adapter' }]);
  });

  it('auto with nothing working lists every device', async () => {
    registerBackend(fakeBackend({ cpu: 'boom', webgpu: 'no adapter' }, { cuda: 'missing' }));
    const err = await startOnDevice(undefined, (be, d) => be.createSession(new Uint8Array(), d, {})).catch((e) => e);
    expect(err).toBeInstanceOf(VAEDeviceError);
    expect(err.failures.map((f: { device: string }) => f.device)).toEqual(['cuda', 'webgpu', 'cpu']);
  });

  it('does not mask model errors as device fallbacks', async () => {
    registerBackend(fakeBackend({}));
    const modelErr = Object.assign(new Error('bad graph'), { code: 'model' });
    await expect(startOnDevice('auto', async () => Promise.reject(modelErr))).rejects.toBe(modelErr);
  });

  it('Node: cuda without its provider library names the install step', async () => {
    const reason = await nodeBackend.precheck('cuda');
    // This machine has no CUDA provider; on one with it installed the precheck passes.
    if (reason !== null) expect(reason).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    // wasm in Node is onnxruntime-web's Node build, always installed with the SDK.
    expect(await nodeBackend.precheck('wasm')).toBeNull();
    expect(await nodeBackend.precheck('cpu')).toBeNull();
    expect(getBackend().runtime).toBe('onnxruntime-node');
  });

  it('a device that cannot run the model dtype is a VAEDeviceError naming the variants it runs; auto skips it, saying so in its reason', async () => {
    const b: Backend = { ...fakeBackend({}), dtypesFor: (d) => (d === 'cuda' ? ['fp32'] : undefined), dtypeLimit: (d) => (d === 'cuda' ? 'no DequantizeLinear' : undefined), autoRule: 'cuda first' };
    registerBackend(b);
    const started: string[] = [];
    const err = await startOnDevice('cuda', async (be, d) => void started.push(d), 'int8').catch((e) => e);
    expect(err).toBeInstanceOf(VAEDeviceError);
    expect(err.message).toBe("device 'cuda' could not start:\n  - cuda: 'cuda' runs the fp32 variant only, not int8 (no DequantizeLinear); load with { dtype: 'fp32' } or another device");
    expect(started).toEqual([]);
    const r = await startOnDevice('auto', async (_be, d) => void started.push(d), 'int8');
    expect(r.device).toBe('webgpu');
    expect(r.reason).toBe('auto: the first of cuda, webgpu, cpu that starts and runs int8 (cuda first); skipped cuda');
    expect(r.skipped[0].reason).toMatch(/^'cuda' runs the fp32 variant only, not int8/);
    // fp32 runs there; an explicit device's reason says it was asked for.
    expect((await startOnDevice('cuda', async () => 1, 'fp32')).reason).toBe("requested: device 'cuda'");
  });

  it("auto follows the backend's per-dtype order when it has one, and says so in its reason", async () => {
    const b: Backend = { ...fakeBackend({}), autoOrderFor: (dtype) => (dtype === 'int8' ? ['webgpu', 'cpu'] : ['cuda', 'webgpu', 'cpu']), autoRule: 'webgpu first for int8' };
    registerBackend(b);
    const int8 = await startOnDevice('auto', async (_be, d) => d, 'int8');
    expect(int8.device).toBe('webgpu');
    expect(int8.reason).toBe('auto: the first of webgpu, cpu that starts and runs int8 (webgpu first for int8)');
    // cuda is left out of the int8 order, and info says why it was not tried.
    expect(int8.skipped).toEqual([{ device: 'cuda', reason: "not tried by auto on fake-runtime; pass { device: 'cuda' } to use it" }]);
    expect((await startOnDevice('auto', async (_be, d) => d, 'fp32')).device).toBe('cuda');
  });

  it("a device's autoSkip reason keeps auto off it but not an explicit request", async () => {
    const b: Backend = { ...fakeBackend({}), autoSkip: async (d) => (d === 'cuda' ? 'cuda renders on the CPU here' : null) };
    registerBackend(b);
    const r = await startOnDevice('auto', async (_be, d) => d, 'fp32');
    expect(r.device).toBe('webgpu');
    expect(r.skipped).toEqual([{ device: 'cuda', reason: 'cuda renders on the CPU here' }]);
    expect(r.reason).toBe('auto: the first of cuda, webgpu, cpu that starts and runs fp32 (best first); skipped cuda');
    expect((await startOnDevice('cuda', async (_be, d) => d, 'fp32')).device).toBe('cuda');
  });
});
