/**
 * `LoadOptions.worker`: the one dedicated worker a page shares for every
 * worker-backed VAE (onnxruntime-web starts its wasm once per realm, so one
 * worker costs one runtime download and one initialisation), started on the
 * first such load.
 */
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { VAEDeviceError } from '../errors.js';
import { installedPlatform, platform } from '../platform.js';
import { WorkerClient, workerBackend } from './worker-backend.js';

let client: WorkerClient | undefined;
/** The hook `client` came from: a platform installed since (another entry point) starts its own. */
let clientFrom: (() => unknown) | undefined;

/**
 * The platform's backend with its sessions in the SDK's worker.
 * @throws {@link VAEDeviceError} where the platform has no worker (Node), or the worker cannot be constructed
 * @internal
 */
export function workerBackendHere(): Backend {
  const start = platform.startWorker;
  if (!start) {
    const where = installedPlatform()?.name ?? 'core';
    throw new VAEDeviceError(
      where === 'node'
        ? 'VAE.load: worker: true needs a browser, where the SDK runs the session in a dedicated Web Worker; in Node the native ONNX Runtime already runs inference on its own threads, off the JavaScript thread, so expected worker to be omitted or false'
        : `VAE.load: worker: true needs the browser entry of @vae/sdk (this is the ${where} platform, which has no Web Worker); expected import from "@vae/sdk" in a browser, or worker omitted`,
    );
  }
  if (!client || clientFrom !== start) {
    try {
      client = new WorkerClient(start());
      clientFrom = start;
    } catch (e) {
      throw new VAEDeviceError(`VAE.load: the SDK's worker (vae-worker.js) could not be created: ${(e as Error)?.message ?? String(e)}; expected a page that may start module workers (Content-Security-Policy worker-src)`, [], { cause: e });
    }
  }
  return workerBackend(getBackend(), client);
}
