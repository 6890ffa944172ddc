/**
 * Device selection, shared by every platform. Device names map to ONNX Runtime
 * execution providers through one frozen table (as in transformers.js), and the
 * installed platform supplies the only backend that can run here.
 */
import { VAEDeviceError } from '../errors.js';
import type { DeviceFailure } from '../errors.js';
import { installedPlatform } from '../platform.js';
import type { Backend, BackendSession, ConcreteDevice, Device, ExecutionProviderConfig, SessionOptions } from './types.js';

/**
 * Device name → the execution provider options passed to
 * `InferenceSession.create` as `executionProviders` by both backends. The one
 * place a device meets a provider: frozen, so no caller can route a device to
 * a provider (or provider options) the SDK has not tested.
 *
 * WebGPU keeps ONNX Runtime's default layout on purpose: onnxruntime-web's
 * JSEP and onnxruntime-node's native WebGPU provider default differently, and
 * both defaults are what the parity tests check against `cpu`/`wasm`.
 *
 * @example
 * ```ts
 * import { DEVICE_TO_EXECUTION_PROVIDER } from '@vae/sdk';
 * DEVICE_TO_EXECUTION_PROVIDER.cpu; // { name: 'cpu' }
 * ```
 */
export const DEVICE_TO_EXECUTION_PROVIDER: Readonly<Record<ConcreteDevice, ExecutionProviderConfig>> = Object.freeze({
  cpu: Object.freeze({ name: 'cpu' }),
  cuda: Object.freeze({ name: 'cuda' }),
  webgpu: Object.freeze({ name: 'webgpu' }),
  wasm: Object.freeze({ name: 'wasm' }),
  webgl: Object.freeze({ name: 'webgl' }),
});

/**
 * The `executionProviders` for a device, straight from
 * {@link DEVICE_TO_EXECUTION_PROVIDER}. An unknown device is a
 * {@link VAEDeviceError} listing the valid ones.
 * @internal
 */
export function executionProvidersFor(device: ConcreteDevice): ExecutionProviderConfig[] {
  if (typeof device !== 'string' || !Object.hasOwn(DEVICE_TO_EXECUTION_PROVIDER, device)) {
    throw new VAEDeviceError(
      `unknown device ${JSON.stringify(device)}; expected one of ${Object.keys(DEVICE_TO_EXECUTION_PROVIDER).join(', ')}`,
    );
  }
  return [DEVICE_TO_EXECUTION_PROVIDER[device]];
}

/** The installed platform's backend, or a device error explaining how to get one. */
export function getBackend(): Backend {
  const p = installedPlatform();
  if (!p) {
    throw new VAEDeviceError(
      'no ONNX Runtime backend is installed; import "@vae/sdk" (its node or browser entry installs one) rather than only the platform-free "@vae/sdk/core"',
    );
  }
  return p.backend;
}

/**
 * Lets the installed backend start what `device` needs early (see
 * {@link Backend.preload}); `auto` and unknown devices are left to
 * {@link startOnDevice}, which also reports every failure.
 */
export function preloadDevice(device: Device | undefined): (() => void) | undefined {
  const b = installedPlatform()?.backend;
  return device && device !== 'auto' && b?.devices.includes(device) ? b.preload?.(device) : undefined;
}

/** Result of starting a model's sessions on the first device that works. */
export interface StartedSessions<T> {
  device: ConcreteDevice;
  executionProvider: string;
  runtime: string;
  /** Set when the device runs on a fallback runtime: what was missing and what runs instead. */
  fallback: string | undefined;
  /** Devices `auto` tried or skipped before this one, and why. */
  skipped: DeviceFailure[];
  /** Why this device: asked for by name, or `auto`'s rule and what it skipped (for `vae.info.deviceReason`). */
  reason: string;
  value: T;
}

/**
 * Resolves `device` to a list of candidates and calls `start` on each until one
 * succeeds. An explicit device is tried alone; `auto` falls back in order. When
 * all fail, one {@link VAEDeviceError} lists why each failed. `backend`
 * defaults to the platform's (the worker passes its own stand-in).
 */
export async function startOnDevice<T>(
  device: Device | undefined,
  start: (backend: Backend, device: ConcreteDevice) => Promise<T>,
  dtype?: string,
  backend: Backend = getBackend(),
): Promise<StartedSessions<T>> {
  const requested = device ?? 'auto';
  if (typeof requested !== 'string' || !backend.devices.includes(requested as Device)) {
    throw new VAEDeviceError(
      `unknown device ${JSON.stringify(requested)} for ${backend.runtime}; expected one of ${backend.devices.join(', ')}`,
    );
  }
  const autoOrder = backend.autoOrderFor?.(dtype) ?? backend.autoOrder;
  const candidates: readonly ConcreteDevice[] = requested === 'auto' ? autoOrder : [requested as ConcreteDevice];
  const failures: DeviceFailure[] = [];
  // Devices on this platform that auto never tries, so info can say why they were skipped.
  if (requested === 'auto') {
    for (const d of backend.devices) {
      if (d !== 'auto' && !autoOrder.includes(d)) {
        failures.push({ device: d, reason: `not tried by auto on ${backend.runtime}; pass { device: '${d}' } to use it` });
      }
    }
  }
  const notTried = failures.length;
  for (const d of candidates) {
    // A device that cannot run the model's precision is skipped before its runtime is even downloaded.
    const runs = dtype === undefined ? undefined : backend.dtypesFor?.(d);
    const reason =
      (runs && !runs.includes(dtype!) ? `'${d}' runs the ${runs.join(', ')} variant${runs.length > 1 ? 's' : ''} only, not ${dtype} (${backend.dtypeLimit?.(d) ?? 'its runtime lacks the ops'}); load with { dtype: '${runs[0]}' } or another device` : await backend.precheck(d)) ??
      (requested === 'auto' ? ((await backend.autoSkip?.(d)) ?? null) : null);
    if (reason) {
      failures.push({ device: d, reason });
      continue;
    }
    try {
      const value = await start(backend, d);
      return {
        device: d,
        executionProvider: DEVICE_TO_EXECUTION_PROVIDER[d].name,
        runtime: backend.runtimeFor?.(d) ?? backend.runtime,
        fallback: backend.fallbackFor?.(d),
        skipped: failures,
        reason:
          requested === 'auto'
            ? `auto: the first of ${candidates.join(', ')} that starts${dtype ? ` and runs ${dtype}` : ''} (${backend.autoRule ?? 'best first'})${failures.length > notTried ? `; skipped ${failures.slice(notTried).map((f) => f.device).join(', ')}` : ''}`
            : `requested: device '${d}'`,
        value,
      };
    } catch (e) {
      // A model error, or a download that failed (the runtime's wasm), is not a device problem: don't mask it by falling back.
      const code = (e as { code?: string })?.code;
      if (code === 'model' || code === 'source') throw e;
      failures.push({ device: d, reason: firstLine(e) });
    }
  }
  const tried = failures.slice(notTried);
  throw new VAEDeviceError(
    requested === 'auto'
      ? `no device could start (tried ${candidates.join(', ')}):`
      : `device '${requested}' could not start:`,
    requested === 'auto' ? failures : tried,
  );
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 400);
}

/** Starts a session on a device (helper for {@link startOnDevice} callers). */
export function createSession(backend: Backend, model: Uint8Array, device: ConcreteDevice, options: SessionOptions): Promise<BackendSession> {
  return backend.createSession(model, device, options);
}
