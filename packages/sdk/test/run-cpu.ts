/** A graph run as the Node SDK runs it: onnxruntime-node's cpu, with the session options of onnx-node.ts; every output fetched. */
import { nodeBackend } from '../src/backends/onnx-node.js';

export async function runCpu(model: Uint8Array, input: string, data: Float32Array, dims: readonly number[]): Promise<Record<string, Float32Array>> {
  const s = await nodeBackend.createSession(model, 'cpu', {});
  try {
    return await s.run(input, data, dims, s.outputs.map((o) => o.name));
  } finally {
    await s.release();
  }
}
