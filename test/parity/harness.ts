/**
 * Helpers for the parity tests: ONNX Runtime on cpu (in process) and webgpu
 * (SwiftShader, in a child process, with ORT's profile saying where each node ran), MNIST test images, and max-abs-diff.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

/** SwiftShader's Vulkan driver, from Debian's `chromium` package. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** Explicit opt-out: without it, missing prerequisites fail the WebGPU parity tests instead of skipping them. */
export const WEBGPU_OPT_OUT = 'VAE_SKIP_WEBGPU_TESTS';
/** ORT's name for the WebGPU execution provider in profiles. */
export const WEBGPU_EP = 'WebGpuExecutionProvider';

/** A float32 tensor as plain data. */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

export { maxAbsDiff } from '../max-abs-diff.js';

/**
 * Max |Δ| allowed between ONNX Runtime and the trainer's tfjs forward pass, per
 * runtime and output; one table, so conditional and unconditional graphs are held to the same.
 * fp16 weights are held to the image `x`.
 */
export const PARITY_TOLERANCE = {
  cpu: { mu: 1e-5, logvar: 1e-5, x: 1e-5, logits: 1e-4 },
  webgpu: { mu: 1e-4, logvar: 1e-4, x: 1e-4, logits: 1e-3 },
  fp16: { x: 2e-3 },
} as const;

/** NCHW -> NHWC copy, so ONNX images compare with tfjs element by element. */
export function nchwToNhwc(t: Tensor): Float32Array {
  const [n, c, h, w] = t.dims;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((i * h + y) * w + x) * c + ch] = t.data[((i * c + ch) * h + y) * w + x];
  return out;
}

/** NHWC -> NCHW copy (to feed tfjs-layout images to ONNX). */
export function nhwcToNchw(data: Float32Array, [n, h, w, c]: number[]): Tensor {
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((i * c + ch) * h + y) * w + x] = data[((i * h + y) * w + x) * c + ch];
  return { data: out, dims: [n, c, h, w] };
}

/**
 * Runs a model on onnxruntime-node's cpu provider, once per feed. `keepQdq`
 * keeps DequantizeLinear's own semantics, as the SDK runs int8 graphs (ORT's
 * QDQ fusion would quantize the activations too).
 */
export async function runCpu(model: Uint8Array, feeds: Record<string, Tensor>[], opts: { keepQdq?: boolean } = {}): Promise<Record<string, Tensor>[]> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(opts.keepQdq ? { extra: { session: { disable_quant_qdq: '1' } } } : {}),
  });
  const out: Record<string, Tensor>[] = [];
  for (const f of feeds) {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(f)) ortFeeds[k] = new ort.Tensor('float32', t.data, t.dims);
    const r = await session.run(ortFeeds);
    const o: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(r)) o[k] = { data: new Float32Array(t.data as Float32Array), dims: [...t.dims] };
    out.push(o);
  }
  await session.release();
  return out;
}

/** Whether the system Vulkan loader (Debian's `libvulkan1`) is installed. */
export function hasVulkanLoader(): boolean {
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const r = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (r.status === 0) return /\blibvulkan\.so\.1 /.test(r.stdout);
  }
  return ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/lib/x86_64-linux-gnu/libvulkan.so.1'].some(existsSync);
}

/** Why WebGPU cannot run here, or null when it can be tried (the arguments are for tests). */
export function webgpuUnavailableReason(icd = SWIFTSHADER_ICD, vulkanLoader = hasVulkanLoader()): string | null {
  const missing: string[] = [];
  if (!existsSync(icd)) missing.push(`${icd} is missing (apt-get install chromium, for SwiftShader)`);
  if (!vulkanLoader) missing.push('the Vulkan loader libvulkan.so.1 is missing (apt-get install libvulkan1)');
  return missing.length ? missing.join('; ') : null;
}

/** Where ORT ran one node, from its profile. */
export interface NodePlacement {
  name: string;
  op: string;
  provider: string;
}

/** A batch of WebGPU work: models and the feeds to run through each. */
export class WebGpuBatch {
  private readonly dir = mkdtempSync(join(tmpdir(), 'vae-webgpu-'));
  private readonly models: { file: string; ep: string; runs: { id: string; inputs: Record<string, { file: string; dims: number[] }> }[] }[] = [];
  private n = 0;

  /**
   * Queues `feeds` through `model`; returns run ids in feed order. `ep` is
   * `webgpu` except for the negative control of the placement check.
   */
  add(model: Uint8Array, feeds: Record<string, Tensor>[], ep: 'webgpu' | 'cpu' = 'webgpu'): string[] {
    const file = `model${this.models.length}.onnx`;
    writeFileSync(join(this.dir, file), model);
    const runs = feeds.map((f) => {
      const id = `run${this.n++}`;
      const inputs: Record<string, { file: string; dims: number[] }> = {};
      for (const [k, t] of Object.entries(f)) {
        const inFile = `${id}.${k}.in.bin`;
        writeFileSync(join(this.dir, inFile), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        inputs[k] = { file: inFile, dims: t.dims };
      }
      return { id, inputs };
    });
    this.models.push({ file, ep, runs });
    return runs.map((r) => r.id);
  }

  /**
   * Runs everything in one child process (ORT profiling on); results keyed by
   * run id, and for each model (in `add` order) where each node ran. The child
   * is killed after `timeoutMs` (SwiftShader runs a 64x64 RGB batch of 64 in minutes).
   */
  run(timeoutMs = 300_000): { outputs: Map<string, Record<string, Tensor>>; placement: NodePlacement[][] } {
    const jobs = join(this.dir, 'jobs.json');
    writeFileSync(jobs, JSON.stringify({ dir: this.dir, models: this.models }));
    const runner = fileURLToPath(new URL('./ort-webgpu-runner.mjs', import.meta.url));
    // The system Vulkan loader (libvulkan1) finds SwiftShader through the ICD file.
    const env = { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD };
    const r = spawnSync(process.execPath, [runner, jobs], { env, encoding: 'utf8', timeout: timeoutMs, cwd: fileURLToPath(new URL('.', import.meta.url)) });
    if (r.status !== 0) throw new Error(`webgpu runner failed (status ${r.status}):\n${r.stderr}\n${r.stdout}`);
    const { results, placement } = JSON.parse(readFileSync(join(this.dir, 'results.json'), 'utf8')) as {
      results: { id: string; outputs: Record<string, { file: string; dims: number[] }> }[];
      placement: NodePlacement[][];
    };
    const out = new Map<string, Record<string, Tensor>>();
    for (const res of results) {
      const o: Record<string, Tensor> = {};
      for (const [k, { file, dims }] of Object.entries(res.outputs)) {
        const b = readFileSync(join(this.dir, file));
        o[k] = { data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), dims };
      }
      out.set(res.id, o);
    }
    return { outputs: out, placement };
  }
}

/** Seeded standard normals (Box-Muller on mulberry32). */
export function normals(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}
