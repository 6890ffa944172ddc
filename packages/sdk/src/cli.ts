#!/usr/bin/env node
/**
 * `vae`: sample, interpolate, reconstruct and inspect a VAE from the shell.
 *
 * @example
 * ```sh
 * vae sample --n 64 --seed 1 --out samples.png
 * vae sample --label 7 --n 16 --out sevens.png        # the conditional model, mnist-cvae
 * vae sample --per-label 8 --out grid.png              # one row per digit
 * vae restyle --in digit.png --out all.png             # the digit written as every class
 * vae interpolate --from 3.png --to 8.png --steps 10 --out lerp.png
 * vae interpolate --from 3.png --to 8.png --labels 3,8 --out morph.png
 * vae reconstruct --in digit.png --out recon.png
 * vae info --device cpu
 * ```
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Device, ImageBatch, ModelSource } from './node.js';
import { VAE, VAEError, decodePng, encodePng, fromImageData, tile } from './node.js';
import type { ImageDataLike } from './node.js';
import { guessLabel } from './guess-label.js';
import { BUNDLED_MODELS } from './source/bundled.js';

const HELP = `vae — sample, interpolate and reconstruct images (MNIST digits, colour models) with a VAE (ONNX Runtime)

Usage:
  vae sample      --n 64 --seed 1 [--temperature 1] [--cols 8] --out samples.png
  vae sample      --label 7 [--n 16] [--seed 1] --out sevens.png
  vae sample      --per-label 8 [--seed 1] --out grid.png
  vae restyle     --in digit.png [--from 3] [--to all|K] --out all.png
  vae interpolate --from 3.png --to 8.png [--labels 3,8] [--steps 10] [--method linear|slerp] --out lerp.png
  vae reconstruct --in digit.png [--label 3] [--sample --seed 1] [--raw] --out recon.png
  vae info        [--json]

Conditional models (mnist-cvae):
  --label K         sample: every sample of class K; reconstruct: the class of --in
  --per-label N     sample: N samples of every class, one row per class
  --from K          restyle: the class --in shows (default: the class the model
                    finds most likely for it, printed)
  --to K|all        restyle: the class to redraw it as, or all (default): one
                    image per class, left to right
  --labels A,B      interpolate: the classes of --from and --to; the label is
                    interpolated with the latent
  These options and restyle load the bundled mnist-cvae unless --model says otherwise.

Options for every command:
  --model NAME|DIR|URL|PACKAGE  a bundled model (${BUNDLED_MODELS.join(', ')}), a model folder or URL
                    with model.json, or an installed model package such as
                    @vae/model-emoji (default: mnist, or mnist-cvae for the
                    conditional options)
  --device NAME     auto (default), cpu, cuda, webgpu or wasm (onnxruntime-web)
  --threads N       intra-op threads, at most 2 per core (default: ONNX Runtime's)
  --scale K         enlarge output PNGs K times, nearest neighbour (default 2)
  -h, --help        show this help
  -v, --version     print the SDK version

Input PNGs may be any size or colour. For a 1×28×28 digit model they get
MNIST's preparation: the ink is found (dark on light is inverted, grey paper
removed), cropped, fitted into 20×20 and centred by its centre of mass in
28×28. --raw skips it and only greys, resizes to 28×28 and inverts
dark-on-light images. For any other model (a colour one such as emoji) they
are composited on white, centre-cropped to the model's aspect ratio and
resized to its size; output PNGs are in colour for a colour model.`;

/** A usage problem: print it with a hint and exit 2. */
class UsageError extends Error {}

/** An output file that cannot be written: one line, exit 1. */
class OutputError extends Error {}

function int(name: string, v: string | undefined, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw new UsageError(`--${name} is required`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

function need(name: string, v: string | undefined): string {
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

/** Nearest-neighbour upscale so a 28-pixel digit is visible in an image viewer; every channel of a colour image. */
function upscale(img: ImageBatch, k: number): ImageBatch {
  if (k === 1) return img;
  const [, c, h, w] = img.shape;
  const [H, W] = [h * k, w * k];
  const out = new Float32Array(c * H * W);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(ch * H + y) * W + x] = img.data[(ch * h + Math.floor(y / k)) * w + Math.floor(x / k)];
  }
  return { data: out, shape: [1, c, H, W] };
}

/** Checked before the model loads, so a typo in --out costs nothing. */
async function checkOut(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory()) throw new OutputError(`cannot write --out ${path}: it is a folder; expected a file path such as ${resolve(path, 'samples.png')}`);
  const dir = dirname(resolve(path));
  const parent = await stat(dir).catch(() => undefined);
  if (!parent) throw new OutputError(`cannot write --out ${path}: folder ${dir} does not exist; create it first or pick another path`);
  if (!parent.isDirectory()) throw new OutputError(`cannot write --out ${path}: ${dir} is not a folder`);
}

/** Written to a temporary file next to `path` and renamed over it, so a failed run never leaves half a PNG. */
async function writePng(path: string, grid: ImageBatch, scale: number, log: (s: string) => void): Promise<void> {
  const up = upscale(grid, scale);
  const tmp = resolve(dirname(resolve(path)), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, encodePng(up), { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    throw new OutputError(`cannot write --out ${path}: ${code ?? (e as Error).message}${code === 'EACCES' || code === 'EPERM' ? ' (no permission to write there)' : code === 'ENOSPC' ? ' (disk full)' : ''}`);
  }
  log(`wrote ${path} (${up.shape[3]}×${up.shape[2]})`);
}

/** The SDK caps threads too; here the message can name the flag and this machine's cores. */
function threadsArg(v: string): number {
  const n = int('threads', v);
  const cores = availableParallelism();
  if (n < 1 || n > 2 * cores) {
    throw new UsageError(`--threads must be in [1, ${2 * cores}] (2 per core on this ${cores}-core machine: more threads than cores only wait on each other and make every run slower), got ${n}`);
  }
  return n;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the
 * exit code. Exported so tests drive it in-process.
 */
export async function main(
  argv: string[],
  io: { log: (s: string) => void; error: (s: string) => void } = console,
  { dispose = true }: { dispose?: boolean } = {},
): Promise<number> {
  let vae: VAE | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        n: { type: 'string' },
        seed: { type: 'string' },
        temperature: { type: 'string' },
        cols: { type: 'string' },
        out: { type: 'string', short: 'o' },
        from: { type: 'string' },
        to: { type: 'string' },
        steps: { type: 'string' },
        method: { type: 'string' },
        in: { type: 'string', short: 'i' },
        label: { type: 'string' },
        'per-label': { type: 'string' },
        labels: { type: 'string' },
        sample: { type: 'boolean' },
        raw: { type: 'boolean' },
        json: { type: 'boolean' },
        model: { type: 'string', short: 'm' },
        device: { type: 'string', short: 'd' },
        threads: { type: 'string' },
        scale: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    const command = positionals[0];
    if (values.version) {
      io.log(SDK_VERSION);
      return 0;
    }
    if (values.help || !command || command === 'help') {
      io.log(HELP);
      return command || values.help ? 0 : 2;
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    if (!['sample', 'restyle', 'interpolate', 'reconstruct', 'info'].includes(command)) {
      throw new UsageError(`unknown command ${JSON.stringify(command)}; expected sample, restyle, interpolate, reconstruct or info`);
    }
    const allowed: Record<string, readonly string[]> = { sample: ['label', 'per-label'], reconstruct: ['label'], interpolate: ['labels'], restyle: [], info: [] };
    for (const flag of ['label', 'per-label', 'labels'] as const) {
      if (values[flag] !== undefined && !allowed[command].includes(flag)) throw new UsageError(`--${flag} does not apply to ${command}`);
    }
    if (command !== 'restyle' && command !== 'interpolate' && values.to !== undefined) throw new UsageError(`--to does not apply to ${command}`);
    // The conditional options mean the conditional model unless --model says which.
    const conditional = command === 'restyle' || values.label !== undefined || values['per-label'] !== undefined || values.labels !== undefined;
    const model = values.model ?? (conditional ? 'mnist-cvae' : undefined);
    const scale = int('scale', values.scale, 2);
    if (scale < 1 || scale > 16) throw new UsageError(`--scale must be in [1, 16], got ${scale}`);
    const load = () =>
      VAE.load(modelPackage(model), {
        device: (values.device ?? 'auto') as Device,
        ...(values.threads !== undefined ? { threads: threadsArg(values.threads) } : {}),
      });
    if (values.threads !== undefined) threadsArg(values.threads);
    if (values.out !== undefined && command !== 'info') await checkOut(values.out);
    const prepare = !values.raw;

    if (command === 'sample') {
      const seed = values.seed === undefined ? undefined : int('seed', values.seed);
      const out = need('out', values.out);
      const temperature = num('temperature', values.temperature, 1);
      const label = values.label === undefined ? undefined : int('label', values.label);
      if (values['per-label'] !== undefined) {
        if (values.label !== undefined || values.n !== undefined) throw new UsageError('--per-label sets the count itself; drop --label and --n');
        const per = int('per-label', values['per-label']);
        if (per < 1) throw new UsageError(`--per-label must be a positive integer, got ${per}`);
        vae = await load();
        const K = vae.info.condition?.classes;
        if (K === undefined) throw new UsageError(`--per-label needs a conditional model; ${vae.info.source} has no condition (try --model mnist-cvae)`);
        const labels = Array.from({ length: K * per }, (_, i) => Math.floor(i / per));
        const s = await vae.sample(K * per, { seed, temperature, label: labels });
        await writePng(out, tile(s, { cols: per }), scale, io.log);
        io.log(`${per} samples of each of ${K} classes (one row per class: ${vae.info.condition?.names.join(', ')}), seed ${s.seed}, device ${vae.info.device}`);
      } else {
        const n = int('n', values.n, 64);
        vae = await load();
        const s = await vae.sample(n, { seed, temperature, label });
        const cols = values.cols === undefined ? Math.ceil(Math.sqrt(n)) : int('cols', values.cols);
        await writePng(out, tile(s, { cols }), scale, io.log);
        io.log(`${n} samples${label === undefined ? '' : ` of class ${label} (${vae.info.condition?.names[label]})`}, seed ${s.seed}, device ${vae.info.device}`);
      }
    } else if (command === 'restyle') {
      const [input, out] = [need('in', values.in), need('out', values.out)];
      const to = values.to === undefined || values.to === 'all' ? 'all' : int('to', values.to);
      let from = values.from === undefined ? undefined : int('from', values.from);
      const pixels = await readPng(input);
      vae = await load();
      const img = toModelInput(vae, pixels, prepare);
      if (!vae.info.condition) throw new UsageError(`restyle needs a conditional model; ${vae.info.source} has no condition (try --model mnist-cvae)`);
      if (from === undefined) {
        from = (await guessLabel(vae, img)).label;
        io.log(`--from not given: ${input} reads as class ${from} (${vae.info.condition.names[from]}), the class with the highest ELBO`);
      }
      const r = await vae.restyle(img, { from, to });
      await writePng(out, tile(r, { cols: r.shape[0] }), scale, io.log);
    } else if (command === 'interpolate') {
      const [from, to, out] = [need('from', values.from), need('to', values.to), need('out', values.out)];
      const steps = int('steps', values.steps, 10);
      const method = values.method ?? 'linear';
      if (method !== 'linear' && method !== 'slerp') throw new UsageError(`--method must be linear or slerp, got ${JSON.stringify(method)}`);
      const labels = values.labels === undefined ? undefined : labelPair(values.labels);
      const [pa, pb] = await Promise.all([readPng(from), readPng(to)]);
      vae = await load();
      const [a, b] = [toModelInput(vae, pa, prepare), toModelInput(vae, pb, prepare)];
      const path = await vae.interpolate(a, b, { steps, method, input: 'image', labels });
      await writePng(out, tile(path, { cols: steps }), scale, io.log);
    } else if (command === 'reconstruct') {
      const [input, out] = [need('in', values.in), need('out', values.out)];
      const pixels = await readPng(input);
      vae = await load();
      const img = toModelInput(vae, pixels, prepare);
      const seed = values.seed === undefined ? undefined : int('seed', values.seed);
      const label = values.label === undefined ? undefined : int('label', values.label);
      const recon = await vae.reconstruct(img, { sample: Boolean(values.sample), seed, label });
      await writePng(out, recon, scale, io.log);
    } else {
      vae = await load();
      const i = vae.info;
      if (values.json) io.log(JSON.stringify(i, null, 2));
      else {
        const m = i.manifest;
        io.log(
          [
            `model        ${m.name} (${m.arch}, latent ${m.latent}, image ${m.imageShape.join('×')}, ${m.precision})`,
            `source       ${i.source}`,
            `trained      ${m.training.epochs} epochs on ${m.dataset}${m.training.metrics ? `, test NELBO ${m.training.metrics.testLoss.toFixed(2)} nats` : ''}`,
            `condition    ${i.condition ? `${i.condition.classes} classes (${i.condition.names.join(', ')})` : 'none (unconditional)'}`,
            `device       ${i.device} (execution provider ${i.executionProvider}, ${i.runtime})`,
            ...(i.fallback ? [`fallback     ${i.fallback}`] : []),
            ...i.skipped.map((s) => `skipped      ${s.device}: ${s.reason}`),
          ].join('\n'),
        );
      }
    }
    return 0;
  } catch (e) {
    if (e instanceof OutputError) {
      io.error(`vae: ${e.message}`);
      return 1;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.error(`vae: ${(e as Error).message}\nRun \`vae --help\` for usage.`);
      return 2;
    }
    io.error(`vae: ${e instanceof VAEError ? `${e.name}: ${e.message}` : (e as Error)?.stack ?? String(e)}`);
    return 1;
  } finally {
    // The bin's process ends right after this; releasing two sessions first
    // would only delay the exit (~10 ms).
    if (dispose) await vae?.dispose();
  }
}

/**
 * `--model @vae/model-emoji`: a model package (a scoped npm name that is not a
 * path on disk) is required from the current folder, as the user's project
 * installed it; its export is the source. Anything else goes to VAE.load as is.
 */
function modelPackage(model: string | undefined): string | ModelSource | undefined {
  if (model === undefined || !/^@[a-z0-9][\w.-]*\/[a-z0-9][\w.-]*$/i.test(model) || existsSync(model)) return model;
  const from = createRequire(join(process.cwd(), 'noop.js'));
  let source: unknown;
  try {
    source = from(model);
  } catch (e) {
    throw new UsageError(`--model ${model}: cannot load the package from ${process.cwd()} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); install it (npm i ${model}) or pass the model's folder`);
  }
  return ((source as { default?: unknown }).default ?? source) as ModelSource;
}

/** `--labels 3,8`: two class indices (their range is the model's to check). */
function labelPair(v: string): [number, number] {
  const parts = v.split(',');
  if (parts.length !== 2) throw new UsageError(`--labels must be two class indices A,B (the classes of --from and --to), got ${JSON.stringify(v)}`);
  return [int('labels', parts[0].trim()), int('labels', parts[1].trim())];
}

/** Decoded before the model loads, so a bad file costs nothing; fitted to the model's shape once it is known. */
async function readPng(path: string): Promise<ImageDataLike> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; expected a PNG file`);
  }
  return decodePng(bytes);
}

/** The digit preparation (default, or --raw) for a 1×28×28 model; crop and resize in the model's colours for any other. */
function toModelInput(vae: VAE, pixels: ImageDataLike, prepare: boolean): ImageBatch {
  const shape = vae.info.imageShape;
  const digit = shape[0] === 1 && shape[1] === 28 && shape[2] === 28;
  return fromImageData(pixels, { shape, prepare: digit ? prepare : false });
}

declare const __SDK_VERSION__: string | undefined;
const SDK_VERSION = typeof __SDK_VERSION__ === 'string' ? __SDK_VERSION__ : '0.0.0-dev';

// Run when executed as a script (the `vae` bin), not when imported by tests.
const invokedAs = process.argv[1] ?? '';
if (/(^|[\\/])(vae|cli\.(c?js|mjs))$/.test(invokedAs)) {
  main(process.argv.slice(2), console, { dispose: false }).then((code) => {
    process.exitCode = code;
  });
}
