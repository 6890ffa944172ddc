/**
 * The messages between the page and the SDK's worker, and how a typed error
 * crosses the boundary: structured clone keeps only `Error`'s name and
 * message, so errors travel as plain data and are rebuilt as the same
 * {@link VAEError} subclass, with the same message, on the page.
 */
import type { DeviceFailure } from '../errors.js';
import { VAEDeviceError, VAEError, VAEInputError, VAEModelError, VAESourceError } from '../errors.js';
import type { ExtraFeed, ValueMeta, WasmOptions } from '../backends/types.js';
import type { LoadProgress } from '../source/types.js';

/** The cache settings a worker needs to copy from the page's `env.cache`. @internal */
export interface WorkerCacheSettings {
  enabled: boolean;
  name: string;
}

/** A request from the page. `id` pairs it with its reply. @internal */
export type WorkerRequest =
  | { id: number; op: 'precheck'; device: string }
  | {
      id: number;
      op: 'create';
      device: string;
      model: Uint8Array;
      threads: number | undefined;
      wasm: WasmOptions;
      cache: WorkerCacheSettings;
      progress: boolean;
    }
  | { id: number; op: 'run'; session: number; input: string; data: Float32Array; dims: readonly number[]; fetches: readonly string[]; extra: readonly ExtraFeed[] }
  | { id: number; op: 'release'; session: number }
  | { id: number; op: 'capabilities' };

/** An error as plain data. @internal */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  failures?: readonly DeviceFailure[];
}

/** A reply, or a progress report for a pending `create`. @internal */
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError }
  | { id: number; progress: LoadProgress };

/** What `create` answers: the session's handle and its graph I/O. @internal */
export interface CreatedSession {
  session: number;
  inputs: readonly ValueMeta[];
  outputs: readonly ValueMeta[];
}

/** An error (or anything thrown) as plain data. @internal */
export function toWire(e: unknown): WireError {
  if (e instanceof VAEDeviceError) {
    // VAEDeviceError's message already carries its failure list; the rebuilt one must not add it twice.
    const head = e.failures.length ? e.message.split('\n')[0] : e.message;
    return { name: e.name, message: head, code: e.code, failures: e.failures.map((f) => ({ ...f })) };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, code: (e as { code?: string }).code };
  return { name: 'Error', message: String(e) };
}

/** A {@link WireError} back as the error it was: the same VAEError subclass and message, or a plain Error. @internal */
export function fromWire(w: WireError): Error {
  switch (w.name) {
    case 'VAEInputError':
      return new VAEInputError(w.message);
    case 'VAEModelError':
      return new VAEModelError(w.message);
    case 'VAESourceError':
      return new VAESourceError(w.message);
    case 'VAEDeviceError':
      return new VAEDeviceError(w.message, w.failures ?? []);
    case 'VAEError':
      return new VAEError((w.code ?? 'device') as never, w.message);
    default: {
      const e = new Error(w.message);
      if (w.name && w.name !== 'Error') e.name = w.name;
      return e;
    }
  }
}

/** The buffer of `a`, when transferring it moves exactly `a`'s bytes (a whole-buffer view); otherwise a copy's. @internal */
export function ownBuffer<T extends Float32Array | Uint8Array>(a: T): T {
  if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer) return a;
  return a.slice() as T;
}
