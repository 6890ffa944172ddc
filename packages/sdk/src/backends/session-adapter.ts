/**
 * Adapts an ONNX Runtime session to {@link BackendSession}. Runtime-agnostic:
 * onnxruntime-node and onnxruntime-web sessions have the same shape, and this
 * module imports neither.
 */
import type { BackendSession, ValueMeta } from './types.js';

/** Adapts an ORT session (shared shape between onnxruntime-node and -web). @internal */
export function wrapSession(
  ort: { Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown },
  session: {
    inputMetadata: readonly unknown[];
    outputMetadata: readonly unknown[];
    run(feeds: Record<string, unknown>, fetches: string[]): Promise<Record<string, { data: unknown; dispose?: () => void }>>;
    release(): Promise<void>;
  },
): BackendSession {
  const meta = (list: readonly unknown[]): ValueMeta[] =>
    list.map((m) => {
      const v = m as { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] };
      return { name: v.name, type: v.isTensor ? String(v.type) : 'non-tensor', shape: v.shape ?? [] };
    });
  return {
    inputs: meta(session.inputMetadata),
    outputs: meta(session.outputMetadata),
    run(input, data, dims, fetches, extra = []) {
      const feeds: Record<string, unknown> = { [input]: new ort.Tensor('float32', data, dims) };
      for (const f of extra) feeds[f.name] = new ort.Tensor('float32', f.data, f.dims);
      return session.run(feeds, fetches as string[]).then((result) => {
        const out: Record<string, Float32Array> = {};
        // The tensors' CPU buffers are returned as-is: no copy on the hot path.
        for (const name of fetches) out[name] = result[name].data as Float32Array;
        return out;
      });
    },
    release: () => session.release(),
  };
}

