// Runs ONNX models on onnxruntime-node's WebGPU execution provider in a child
// process: the Vulkan loader (Chromium's libvulkan.so.1 + SwiftShader ICD) must
// be on LD_LIBRARY_PATH / VK_ICD_FILENAMES before the process starts.
// Usage: node ort-webgpu-runner.mjs JOBS.json  (see harness.ts for the format)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const jobsFile = process.argv[2];
const { dir, models } = JSON.parse(readFileSync(jobsFile, 'utf8'));
const results = [];
for (const m of models) {
  const session = await ort.InferenceSession.create(join(dir, m.file), { executionProviders: ['webgpu'] });
  for (const run of m.runs) {
    const feeds = {};
    for (const [name, { file, dims }] of Object.entries(run.inputs)) {
      const buf = readFileSync(join(dir, file));
      feeds[name] = new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), dims);
    }
    const out = await session.run(feeds);
    const outputs = {};
    for (const [name, t] of Object.entries(out)) {
      const file = `${run.id}.${name}.out.bin`;
      writeFileSync(join(dir, file), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      outputs[name] = { file, dims: t.dims };
    }
    results.push({ id: run.id, outputs });
  }
  await session.release();
}
writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
