/**
 * The `vae-export` command, as a function of its arguments and output streams
 * (so that tests run it in process). `cli.ts` is the executable wrapper.
 */
import { parseArgs } from 'node:util';
import { ExportError } from './errors.js';
import { exportCheckpoint } from './export.js';
import { readModelFile } from './read-model-file.js';
import { addVariants } from './variants.js';
import { OPSET_RANGE, PRODUCER } from './translate.js';
import { formatReport, validateModelBytes } from './validate.js';

const HELP = `vae-export ${PRODUCER.version}: write a trained VAE checkpoint as ONNX graphs

Usage:
  vae-export --checkpoint RUN_DIR --out MODEL_DIR [--name NAME] [--opset N] [--fp16 | --quantize int8] [--data-name NAME]
  vae-export --model MODEL_DIR --variants fp16,int8
  vae-export --check FILE.onnx [FILE.onnx ...]

Export:
  --checkpoint PATH  run directory of vae-train (checkpoint.vaeckpt, metrics.jsonl)
                     or a .vaeckpt file
  --out DIR          output folder; gets encoder.onnx, decoder.onnx, model.json,
                     each written atomically (created if missing)
  --name NAME        model name in model.json (default: the --out folder's name)
  --opset N          ONNX opset ${OPSET_RANGE.min}..${OPSET_RANGE.max} (default ${OPSET_RANGE.default}, IR version 8)
  --fp16             store weights as float16 (half the size); inputs and
                     outputs stay float32
  --quantize int8    store kernels as per-channel symmetric int8 with
                     DequantizeLinear (about a quarter of the size; opset 13+);
                     biases, inputs and outputs stay float32
  --class-names A,B,...  a conditional model's class names for model.json
                     (default: Fashion-MNIST's names for fashion, else 0,1,...)
  --data-name NAME   the training data's name for model.json's data entry
                     (e.g. "emoji (Noto Color Emoji)"; default: the checkpoint's
                     dataset, written only when the checkpoint records its crop
                     or background)
  --quiet            print only errors

Variants:
  --model DIR        an exported model folder (model.json and its graphs)
  --variants P,...   export the model again at these precisions (fp16, int8)
                     from the weights in its own graphs, beside it as
                     encoder_<P>.onnx and decoder_<P>.onnx, listed in
                     model.json's variants; its own graphs stay as they are

Check:
  --check FILE...    validate ONNX files structurally and list every problem:
                     errors for what is certainly wrong, warnings for what
                     cannot be checked; exit code 1 if any file has an error
                     (regular files of at most 2 GiB only)

Other:
  -h, --help         this help
  -v, --version      print the version

Exit codes: 0 ok, 1 export failed or a file is invalid, 2 bad usage.
Example:
  vae-export --checkpoint runs/small --out models/mnist
`;

/** Where the CLI writes. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };

/**
 * Runs `vae-export` with `argv` (without the node and script paths).
 * Resolves to the exit code: 0 ok, 1 failed export or invalid file, 2 bad usage.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        checkpoint: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        opset: { type: 'string' },
        fp16: { type: 'boolean' },
        quantize: { type: 'string' },
        'class-names': { type: 'string' },
        'data-name': { type: 'string' },
        quiet: { type: 'boolean' },
        check: { type: 'boolean' },
        model: { type: 'string' },
        variants: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    io.stderr(`vae-export: ${(e as Error).message}\nRun vae-export --help for usage.\n`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout(HELP);
    return 0;
  }
  if (v.version) {
    io.stdout(`${PRODUCER.version}\n`);
    return 0;
  }
  if (v.check) {
    if (positionals.length === 0) {
      io.stderr('vae-export: --check needs at least one .onnx file\n');
      return 2;
    }
    let bad = 0;
    for (const file of positionals) {
      const read = await readModelFile(file);
      if (!read.ok) {
        io.stdout(`${file}: ${read.reason}\n`);
        bad++;
        continue;
      }
      const report = validateModelBytes(read.bytes);
      io.stdout(`${formatReport(report, file)}\n`);
      if (!report.ok) bad++;
    }
    return bad ? 1 : 0;
  }
  if (v.variants !== undefined || v.model !== undefined) {
    if (!v.variants || !v.model) {
      io.stderr(`vae-export: ${!v.model ? '--variants needs --model DIR' : '--model needs --variants P,...'}\n`);
      return 2;
    }
    try {
      const r = await addVariants(v.model, v.variants.split(',').map((p) => p.trim()));
      if (!v.quiet) for (const f of r.files) io.stdout(`${f.precision}: ${f.encoder} (${f.encoderBytes} bytes), ${f.decoder} (${f.decoderBytes} bytes)\n`);
      return 0;
    } catch (e) {
      if (e instanceof ExportError) {
        io.stderr(`vae-export: ${e.code}: ${e.message}\nNothing was written.\n`);
        return e.code === 'usage' ? 2 : 1;
      }
      io.stderr(`vae-export: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
      return 1;
    }
  }
  if (positionals.length) {
    io.stderr(`vae-export: unexpected argument ${positionals[0]} (did you mean --check?)\n`);
    return 2;
  }
  if (!v.checkpoint || !v.out) {
    io.stderr(`vae-export: ${!v.checkpoint ? '--checkpoint' : '--out'} is required\nRun vae-export --help for usage.\n`);
    return 2;
  }
  let opset: number | undefined;
  if (v.opset !== undefined) {
    opset = Number(v.opset);
    if (!Number.isInteger(opset) || opset < OPSET_RANGE.min || opset > OPSET_RANGE.max) {
      io.stderr(`vae-export: --opset must be an integer in ${OPSET_RANGE.min}..${OPSET_RANGE.max}, got ${v.opset}\n`);
      return 2;
    }
  }
  if (v.quantize !== undefined && v.quantize !== 'int8') {
    io.stderr(`vae-export: --quantize must be int8, got ${v.quantize}\n`);
    return 2;
  }
  if (v.quantize !== undefined && v.fp16) {
    io.stderr('vae-export: --fp16 and --quantize int8 are two weight precisions; give one\n');
    return 2;
  }
  const log = v.quiet ? () => {} : (line: string) => io.stdout(`${line}\n`);
  try {
    const t0 = Date.now();
    const r = await exportCheckpoint({
      checkpoint: v.checkpoint,
      out: v.out,
      name: v.name,
      opset,
      precision: v.quantize === 'int8' ? 'int8' : v.fp16 ? 'fp16' : 'fp32',
      ...(v['class-names'] !== undefined ? { classNames: v['class-names'].split(',').map((n) => n.trim()) } : {}),
      ...(v['data-name'] !== undefined ? { data: { name: v['data-name'] } } : {}),
      onProgress: log,
    });
    const m = r.manifest;
    log(`exported ${m.name}: ${m.arch}, latent ${m.latent},${m.condition ? ` conditional on ${m.condition.classes} classes,` : ''} ${m.precision}, opset ${m.onnx.opset}, ${m.training.epochs} epochs, test loss ${m.training.metrics?.testLoss?.toFixed(2) ?? 'n/a'} (${Date.now() - t0} ms)`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      io.stderr(`vae-export: ${e.code}: ${e.message}\nNothing was written.\n`);
      return 1;
    }
    io.stderr(`vae-export: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

