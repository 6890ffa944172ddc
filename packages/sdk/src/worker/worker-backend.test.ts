/**
 * The worker protocol end to end, in Node: the SDK's worker server runs on
 * one end of a MessageChannel with onnxruntime-node's backend (as
 * vae-worker.js runs onnxruntime-web's), and `VAE.load(…, { worker: true })`
 * talks to it through the platform's startWorker hook. The browser test
 * (test/browser/worker.test.ts) runs the real Web Worker.
 */
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureModel } from '../../test/fixtures.js';
import { getBackend } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { VAEDeviceError, VAEInputError, VAEModelError, VAESourceError } from '../errors.js';
import { VAE } from '../node.js';
import { platform } from '../platform.js';
import { fromWire, toWire } from './protocol.js';
import type { ServerPort } from './serve-backend.js';
import { serveBackend } from './serve-backend.js';
import type { ClientPort } from './worker-backend.js';

const ports: MessagePort[] = [];
afterAll(() => {
  for (const p of ports) p.close();
  delete (platform as { startWorker?: unknown }).startWorker;
});

/** A "worker" on a MessageChannel serving `backend`, installed as the platform's. */
function installChannelWorker(backend: (base: Backend) => Backend = (b) => b): { messages: unknown[] } {
  const seen = { messages: [] as unknown[] };
  (platform as { startWorker?: () => ClientPort }).startWorker = () => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    serveBackend(port2 as unknown as ServerPort, backend(getBackend()));
    port2.on('message', (m) => seen.messages.push(m));
    return port1 as unknown as ClientPort;
  };
  return seen;
}

describe('worker: true', () => {
  it('in Node without a worker hook rejects with a VAEDeviceError saying the native runtime already runs off the JavaScript thread', async () => {
    const m = fixtureModel();
    const err = await VAE.load(m.dir, { worker: true }).catch((e) => e);
    expect(err).toBeInstanceOf(VAEDeviceError);
    expect(err.message).toBe(
      'VAE.load: worker: true needs a browser, where the SDK runs the session in a dedicated Web Worker; in Node the native ONNX Runtime already runs inference on its own threads, off the JavaScript thread, so expected worker to be omitted or false',
    );
  });

  it('rejects a non-boolean worker option naming it', async () => {
    const err = await VAE.load(fixtureModel().dir, { worker: 'yes' as never }).catch((e) => e);
    expect(err).toBeInstanceOf(VAEInputError);
    expect(err.message).toBe('VAE.load: option worker must be a boolean (true or false), got "yes" (string)');
  });

  it('gives the same samples, reconstructions and info as the sessions on the page, and leaves the returned latents intact', async () => {
    const m = fixtureModel();
    installChannelWorker();
    const here = await VAE.load(m.dir, { device: 'cpu', batchSize: 3 });
    const there = await VAE.load(m.dir, { device: 'cpu', batchSize: 3, worker: true });
    try {
      expect(there.info.worker).toBe(true);
      expect(here.info.worker).toBe(false);
      expect(there.info.device).toBe('cpu');
      // batchSize 3: 7 samples run as three batches on views of one latent buffer, which a transfer without a copy would detach.
      const [a, b] = [await here.sample(7, { seed: 5 }), await there.sample(7, { seed: 5 })];
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      expect(b.latents.data.length).toBe(7 * there.latent);
      expect(Array.from(b.latents.data)).toEqual(Array.from(a.latents.data));
      const r = await there.reconstruct(a.data.slice(0, 784));
      const r0 = await here.reconstruct(a.data.slice(0, 784));
      expect(Array.from(r.data)).toEqual(Array.from(r0.data));
    } finally {
      await Promise.all([here.dispose(), there.dispose()]);
    }
  });

  it('carries a typed error raised in the worker back as the same class with the same message', async () => {
    const m = fixtureModel();
    const msg = 'decoder.onnx is not what the worker expected; expected a test failure';
    installChannelWorker((b) => ({
      ...b,
      createSession: async () => {
        throw new VAEModelError(msg);
      },
    }));
    const err = await VAE.load(m.dir, { device: 'cpu', worker: true }).catch((e) => e);
    expect(err).toBeInstanceOf(VAEModelError);
    // Exactly what the page-side load makes of the same failure (startGraph names the graph).
    expect(err.message).toBe(`ONNX Runtime cannot load encoder.onnx: ${msg}; expected a valid ONNX graph matching model.json`);
  });

  it('carries an error thrown by a run in the worker back as the same class with the same message', async () => {
    const m = fixtureModel();
    const msg = 'the worker refused this batch; expected a test failure';
    installChannelWorker((b) => ({
      ...b,
      createSession: async (...args) => ({
        ...(await b.createSession(...args)),
        run: async () => {
          throw new VAEInputError(msg);
        },
      }),
    }));
    const vae = await VAE.load(m.dir, { device: 'cpu', worker: true });
    try {
      const err = await vae.sample(2, { seed: 1 }).catch((e) => e);
      expect(err).toBeInstanceOf(VAEInputError);
      expect(err.message).toBe(msg);
    } finally {
      await vae.dispose();
    }
  });

  it('turns a device failure inside the worker into the same VAEDeviceError listing the device', async () => {
    const m = fixtureModel();
    installChannelWorker((b) => ({ ...b, precheck: async () => 'no such device in this worker' }));
    const err = await VAE.load(m.dir, { device: 'cpu', worker: true }).catch((e) => e);
    expect(err).toBeInstanceOf(VAEDeviceError);
    expect(err.message).toBe("device 'cpu' could not start:\n  - cpu: no such device in this worker");
  });
});

describe('errors across the worker boundary', () => {
  it('rebuild every VAEError subclass with its message, code and failures', () => {
    const cases = [new VAEInputError('bad input; expected good'), new VAEModelError('bad model'), new VAESourceError('no file'), new VAEDeviceError('no device:', [{ device: 'wasm', reason: 'r' }])];
    for (const e of cases) {
      // Structured clone, as postMessage does it.
      const back = fromWire(structuredClone(toWire(e)));
      expect(back.constructor).toBe(e.constructor);
      expect(back.message).toBe(e.message);
      expect((back as VAEDeviceError).code).toBe(e.code);
    }
    const dev = fromWire(structuredClone(toWire(cases[3]))) as VAEDeviceError;
    expect(dev.failures).toEqual([{ device: 'wasm', reason: 'r' }]);
    const plain = fromWire(structuredClone(toWire(new TypeError('boom'))));
    expect(plain.name).toBe('TypeError');
    expect(plain.message).toBe('boom');
  });
});
