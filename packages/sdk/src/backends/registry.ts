/**
 * Device selection, shared by every platform. Device names map to ONNX Runtime
 * execution providers through one frozen table (as in transformers.js), and the
 * platform entry point registers the only backend that can run here.
 */
import { VAEDeviceError } from '../errors.js';
import type { DeviceFailure } from '../errors.js';
import type { Backend, BackendSession, ConcreteDevice, Device, SessionOptions } from './types.js';

/**
 * Device name → ONNX Runtime execution provider. Frozen so that no caller can
 * route a device to a provider the SDK has not tested.
 */
export const DEVICE_TO_EXECUTION_PROVIDER: Readonly<Record<ConcreteDevice, string>> = Object.freeze({
  cpu: 'cpu',
  cuda: 'cuda',
  webgpu: 'webgpu',
  wasm: 'wasm',
});

let registered: Backend | undefined;

/**
 * Installs the platform's backend. Called once by the `node` or `web` entry
 * point; the core never imports a runtime itself.
 * @internal
 */
export function registerBackend(backend: Backend): void {
  registered = backend;
}

/** The registered backend, or a device error explaining how to get one. */
export function getBackend(): Backend {
  if (!registered) {
    throw new VAEDeviceError(
      'no ONNX Runtime backend is registered; import "@vae/sdk" (its node or browser entry registers one) rather than the platform-free core',
    );
  }
  return registered;
}

/** Result of starting a model's sessions on the first device that works. */
export interface StartedSessions<T> {
  device: ConcreteDevice;
  executionProvider: string;
  runtime: string;
  /** Devices `auto` tried or skipped before this one, and why. */
  skipped: DeviceFailure[];
  value: T;
}

/**
 * Resolves `device` to a list of candidates and calls `start` on each until one
 * succeeds. An explicit device is tried alone; `auto` falls back in order. When
 * all fail, one {@link VAEDeviceError} lists why each failed.
 */
export async function startOnDevice<T>(
  device: Device | undefined,
  start: (backend: Backend, device: ConcreteDevice) => Promise<T>,
): Promise<StartedSessions<T>> {
  const backend = getBackend();
  const requested = device ?? 'auto';
  if (typeof requested !== 'string' || !backend.devices.includes(requested as Device)) {
    throw new VAEDeviceError(
      `unknown device ${JSON.stringify(requested)} for ${backend.runtime}; expected one of ${backend.devices.join(', ')}`,
    );
  }
  const candidates: readonly ConcreteDevice[] = requested === 'auto' ? backend.autoOrder : [requested as ConcreteDevice];
  const failures: DeviceFailure[] = [];
  // Devices on this platform that auto never tries, so info can say why they were skipped.
  if (requested === 'auto') {
    for (const d of backend.devices) {
      if (d !== 'auto' && !backend.autoOrder.includes(d)) {
        failures.push({ device: d, reason: `not tried by auto on ${backend.runtime}; pass { device: '${d}' } to use it` });
      }
    }
  }
  const notTried = failures.length;
  for (const d of candidates) {
    const reason = await backend.precheck(d);
    if (reason) {
      failures.push({ device: d, reason });
      continue;
    }
    try {
      const value = await start(backend, d);
      return { device: d, executionProvider: DEVICE_TO_EXECUTION_PROVIDER[d], runtime: backend.runtime, skipped: failures, value };
    } catch (e) {
      // A model error is not a device problem: don't mask it by falling back.
      if ((e as { code?: string })?.code === 'model') throw e;
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
