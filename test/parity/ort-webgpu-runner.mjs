// Runs ONNX models on onnxruntime-node's WebGPU execution provider in a child
// process: VK_ICD_FILENAMES (SwiftShader's ICD) must be set before the process
// starts; the system Vulkan loader (libvulkan1) does the rest.
// Every session runs with ORT profiling on, and the profile's Node events
// (`args.provider`, `args.op_name`) say which execution provider ran each node:
// ORT silently falls back to CPU for nodes the WebGPU EP does not take.
// Usage: node ort-webgpu-runner.mjs JOBS.json  (see harness.ts for the format)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const jobsFile = process.argv[2];
const { dir, models } = JSON.parse(readFileSync(jobsFile, 'utf8'));
const results = [];
const placement = [];
for (const m of models) {
  const prefix = `${m.file}.profile`;
  const session = await ort.InferenceSession.create(join(dir, m.file), {
    executionProviders: [m.ep ?? 'webgpu'],
    enableProfiling: true,
    profileFilePrefix: join(dir, prefix),
  });
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
  session.endProfiling(); // writes PREFIX_<date>.json (onnxruntime-node returns no file name)
  await session.release();
  const profiles = readdirSync(dir).filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.json'));
  if (profiles.length !== 1) throw new Error(`expected one ORT profile ${prefix}_*.json for ${m.file}, found ${JSON.stringify(profiles)}`);
  const events = JSON.parse(readFileSync(join(dir, profiles[0]), 'utf8'));
  const nodes = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    nodes.set(name, { name, op: e.args.op_name, provider: e.args.provider ?? e.args.ep ?? 'unknown' });
  }
  placement.push([...nodes.values()]);
}
writeFileSync(join(dir, 'results.json'), JSON.stringify({ results, placement }));
