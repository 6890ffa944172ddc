/** What the SDK detected about the platform it runs on (transformers.js style `env`). */
import { getBackend } from './backends/registry.js';
import type { Device } from './backends/types.js';

/** Detected platform capabilities. */
export interface SdkEnv {
  /** `'node'` or `'browser'`, from the entry point that was loaded; `'core'` when only the core is. */
  readonly platform: 'node' | 'browser' | 'core';
  /** ONNX Runtime package behind the SDK here, or null before an entry point registered one. */
  readonly runtime: string | null;
  /** Device names accepted by `VAE.load` on this platform. */
  readonly devices: readonly Device[];
  /** Loads the runtime (if needed) and reports what it supports, e.g. which execution providers are bundled. */
  detect(): Promise<Record<string, unknown>>;
}

let platformName: SdkEnv['platform'] = 'core';

/** @internal */
export function setPlatformName(name: SdkEnv['platform']): void {
  platformName = name;
}

const tryBackend = () => {
  try {
    return getBackend();
  } catch {
    return null;
  }
};

/**
 * The SDK's view of this platform.
 *
 * @example
 * ```ts
 * import { env } from '@vae/sdk';
 * console.log(env.platform, env.devices, await env.detect());
 * ```
 */
export const env: SdkEnv = Object.freeze({
  get platform() {
    return platformName;
  },
  get runtime() {
    return tryBackend()?.runtime ?? null;
  },
  get devices() {
    return tryBackend()?.devices ?? (['auto'] as const);
  },
  async detect() {
    const b = tryBackend();
    return b ? b.capabilities() : { runtime: null };
  },
});
