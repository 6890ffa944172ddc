/**
 * `env`: the installed platform as seen from the core, and the global
 * onnxruntime-web settings (`env.backends.onnx.wasm`) that replaced the
 * per-load `wasm` option, which now only copies into them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nodeBackend } from './backends/onnx-node.js';
import { env, mergeLegacyWasmOptions, wasmSettings } from './env.js';
import { VAEInputError } from './errors.js';
import { installPlatform } from './platform.js';

const wasm = env.backends.onnx.wasm as Record<string, unknown>;
afterEach(() => {
  for (const k of Object.keys(wasm)) delete wasm[k];
});

describe('env', () => {
  it('reports the platform installed by installPlatform, and is frozen down to the settings object', () => {
    installPlatform({ name: 'node', backend: nodeBackend, stringsArePaths: true });
    expect(env.platform).toBe('node');
    expect(env.runtime).toBe('onnxruntime-node');
    expect(env.devices).toEqual(['auto', 'cpu', 'cuda', 'webgpu', 'wasm']);
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.backends.onnx)).toBe(true);
    // The settings themselves are for users to set.
    expect(Object.isFrozen(env.backends.onnx.wasm)).toBe(false);
  });

  it('LoadOptions.wasm (deprecated) copies its keys into env.backends.onnx.wasm', () => {
    env.backends.onnx.wasm.numThreads = 2;
    mergeLegacyWasmOptions({ wasmPaths: '/ort/', proxy: true });
    expect(wasmSettings()).toEqual({ numThreads: 2, wasmPaths: '/ort/', proxy: true });
  });

  it('a wrong legacy wasm option is a VAEInputError naming it, and changes nothing', () => {
    const err = (() => {
      try {
        mergeLegacyWasmOptions({ wasmPaths: '/ort/', numThreads: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(VAEInputError);
    expect((err as Error).message).toBe('wasm.numThreads must be a positive integer <= 1024, got 0');
    expect(wasmSettings()).toEqual({});
    expect(() => mergeLegacyWasmOptions('yes')).toThrow(new VAEInputError('wasm must be an object like { wasmPaths, numThreads, proxy }, got "yes"'));
  });
});
