/**
 * The one object a platform entry point installs: its ONNX Runtime backend and
 * the hooks the core needs (file reading, the bundled model, hashing), so the
 * core never touches `node:fs`, browser globals or a runtime directly.
 */
import type { Backend } from './backends/types.js';
import type { BundledModelName } from './source/bundled.js';
import type { ModelDType } from './source/select-variant.js';
import type { ClientPort } from './worker/worker-backend.js';

/** Where the platform's bundled model lives: a folder path, or one URL per file. */
export type DefaultModel = string | URL | { manifest: URL | string; encoder: URL | string; decoder: URL | string };

/**
 * Everything one platform provides. The `node` and `web` entry points each call
 * {@link installPlatform} once with one of these.
 * @internal
 */
export interface Platform {
  /** `'node'` or `'browser'`. */
  readonly name: 'node' | 'browser';
  /** The ONNX Runtime binding that runs the graphs here. */
  readonly backend: Backend;
  /** Whether a plain string source is a local path (Node) rather than a relative URL (browser). */
  readonly stringsArePaths: boolean;
  /** Reads a local regular file of at most `maxBytes` (Node only); `@vae/format/node`'s readRegularFile: its codes ENOTREG/EFBIG become VAESourceErrors in source/read-local.ts. */
  readonly readFile?: (path: string, maxBytes: number) => Promise<Uint8Array>;
  /**
   * Where a model shipped inside the package lives (default: `'mnist'`, the one
   * `VAE.load()` loads); `dtype` asks for one precision's files where they are
   * located one by one (the browser's asset URLs).
   */
  readonly defaultModel?: (name?: BundledModelName, dtype?: ModelDType) => DefaultModel;
  /** Hex sha256; Node's native hash starts faster than WebCrypto (cold start matters). */
  readonly sha256?: (bytes: Uint8Array) => string;
  /** Logical cores, to bound `threads` (Node 20 has no `navigator.hardwareConcurrency`). */
  readonly cores?: () => number;
  /** Starts the SDK's dedicated worker (browsers), for `LoadOptions.worker`; absent where there is none (Node). */
  readonly startWorker?: () => ClientPort;
}

/** The hooks the core reads, without the backend (which the registry reads). @internal */
export type PlatformHooks = Omit<Platform, 'name' | 'backend'>;

/**
 * The installed platform's hooks. One live object, mutated only by
 * {@link installPlatform}, so modules that imported it see the platform
 * installed after them.
 * @internal
 */
export const platform: { -readonly [K in keyof PlatformHooks]: PlatformHooks[K] } = { stringsArePaths: false };

let installed: Platform | undefined;

/** Which platform this JavaScript runs on, whatever entry point was imported. */
function runningIn(): Platform['name'] {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string' ? 'node' : 'browser';
}

/**
 * Installs a platform. A second entry point in the same process (all entries
 * share one core) replaces the first, except that the platform native to where
 * the code runs is never replaced by the other one: in Node, importing
 * `@vae/sdk/web` after (or before) `@vae/sdk` keeps onnxruntime-node and file
 * paths; alone in Node, the web entry runs onnxruntime-web on URLs and bytes.
 * @returns whether `p` is now the installed platform
 * @internal
 */
export function installPlatform(p: Platform): boolean {
  if (installed && installed.name !== p.name && installed.name === runningIn()) return false;
  installed = Object.freeze({ ...p });
  for (const k of Object.keys(platform) as (keyof PlatformHooks)[]) delete platform[k];
  Object.assign(platform, {
    stringsArePaths: p.stringsArePaths,
    ...(p.readFile ? { readFile: p.readFile } : {}),
    ...(p.defaultModel ? { defaultModel: p.defaultModel } : {}),
    ...(p.sha256 ? { sha256: p.sha256 } : {}),
    ...(p.cores ? { cores: p.cores } : {}),
    ...(p.startWorker ? { startWorker: p.startWorker } : {}),
  });
  return true;
}

/** The installed platform, or undefined when only the platform-free core was imported. @internal */
export function installedPlatform(): Platform | undefined {
  return installed;
}
