/**
 * The worker's side of the SDK's worker: it owns the ONNX Runtime sessions of
 * a {@link Backend} and answers the page's requests (see protocol.ts). The
 * inputs arrive transferred and the outputs leave transferred, so a batch is
 * never copied by structured clone.
 */
import type { Backend, BackendSession, ConcreteDevice } from '../backends/types.js';
import { setCacheSettings } from '../cache/settings.js';
import { mergeLegacyWasmOptions } from '../env.js';
import type { CreatedSession, WorkerReply, WorkerRequest } from './protocol.js';
import { ownBuffer, toWire } from './protocol.js';

/** The part of a worker's global scope (or a MessagePort) the server talks through. @internal */
export interface ServerPort {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  start?: () => void;
}

/** Answers {@link WorkerRequest}s on `port` with `backend`'s sessions. @internal */
export function serveBackend(port: ServerPort, backend: Backend): void {
  const sessions = new Map<number, BackendSession>();
  let nextSession = 1;
  let configured = false;
  const reply = (r: WorkerReply, transfer: Transferable[] = []) => port.postMessage(r, transfer);

  async function handle(req: WorkerRequest): Promise<{ value: unknown; transfer?: Transferable[] }> {
    switch (req.op) {
      case 'precheck':
        return { value: await backend.precheck(req.device as ConcreteDevice) };
      case 'capabilities':
        return { value: await backend.capabilities() };
      case 'create': {
        if (!configured) {
          // The page's env settings, read by the runtime once, before its first session: as on the page.
          mergeLegacyWasmOptions(req.wasm);
          configured = true;
        }
        setCacheSettings(req.cache);
        const s = await backend.createSession(req.model, req.device as ConcreteDevice, {
          threads: req.threads,
          ...(req.progress ? { onProgress: (p) => reply({ id: req.id, progress: p }) } : {}),
        });
        const id = nextSession++;
        sessions.set(id, s);
        const created: CreatedSession = { session: id, inputs: s.inputs, outputs: s.outputs };
        return { value: created };
      }
      case 'run': {
        const s = sessions.get(req.session);
        if (!s) throw new Error(`worker session ${req.session} is not open (released?); expected a live session`);
        const out = await s.run(req.input, req.data, req.dims, req.fetches, req.extra);
        const value: Record<string, Float32Array> = {};
        for (const k of Object.keys(out)) value[k] = ownBuffer(out[k]);
        return { value, transfer: Object.values(value).map((a) => a.buffer as ArrayBuffer) };
      }
      case 'release': {
        const s = sessions.get(req.session);
        sessions.delete(req.session);
        await s?.release();
        return { value: null };
      }
    }
  }

  port.addEventListener('message', (ev) => {
    const req = ev.data as WorkerRequest;
    if (!req || typeof req !== 'object' || typeof req.id !== 'number') return;
    handle(req).then(
      (r) => reply({ id: req.id, ok: true, value: r.value }, r.transfer),
      (e) => reply({ id: req.id, ok: false, error: toWire(e) }),
    );
  });
  port.start?.();
}
