import { afterEach, describe, expect, it } from 'vitest';
import { VAEDeviceError } from '../errors.js';
import { nodeBackend } from './onnx-node.js';
import { DEVICE_TO_EXECUTION_PROVIDER, getBackend, registerBackend, startOnDevice } from './registry.js';
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

afterEach(() => registerBackend(nodeBackend));

describe('device table and selection', () => {
  it('maps devices to execution providers through one frozen table', () => {
    expect(Object.isFrozen(DEVICE_TO_EXECUTION_PROVIDER)).toBe(true);
    expect(DEVICE_TO_EXECUTION_PROVIDER).toEqual({ cpu: 'cpu', cuda: 'cuda', webgpu: 'webgpu', wasm: 'wasm' });
    expect(() => ((DEVICE_TO_EXECUTION_PROVIDER as Record<string, string>).cpu = 'x')).toThrow(TypeError);
  });

  it('rejects an unknown device, listing the valid ones', async () => {
    registerBackend(fakeBackend({}));
    await expect(startOnDevice('tpu' as never, async () => 1)).rejects.toThrow(/unknown device "tpu" for fake-runtime; expected one of auto, cpu, cuda, webgpu/);
    registerBackend(nodeBackend);
    await expect(startOnDevice('wasm', async () => 1)).rejects.toThrow(/expected one of auto, cpu, cuda, webgpu/);
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
    expect(await nodeBackend.precheck('wasm')).toMatch(/browser device; in Node use 'cpu'/);
    expect(await nodeBackend.precheck('cpu')).toBeNull();
    expect(getBackend().runtime).toBe('onnxruntime-node');
  });
});
