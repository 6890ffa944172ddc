#!/usr/bin/env node
/**
 * `vae-export`: checkpoint -> ONNX, and a validator for any `.onnx` file.
 */
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { ExportError } from './errors.js';
import { exportCheckpoint } from './export.js';
import { OPSET_RANGE, PRODUCER } from './translate.js';
import { formatReport, validateModelBytes } from './validate.js';

const HELP = `vae-export ${PRODUCER.version}: write a trained VAE checkpoint as ONNX graphs

Usage:
  vae-export --checkpoint RUN_DIR --out MODEL_DIR [--name NAME] [--opset N] [--fp16]
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
  --quiet            print only errors

Check:
  --check FILE...    validate ONNX files structurally and list every problem;
                     exit code 1 if any file has an error

Other:
  -h, --help         this help
  -v, --version      print the version

Exit codes: 0 ok, 1 export failed or a file is invalid, 2 bad usage.
Example:
  vae-export --checkpoint runs/small --out models/mnist
`;

async function main(argv: string[]): Promise<number> {
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
        quiet: { type: 'boolean' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    process.stderr.write(`vae-export: ${(e as Error).message}\nRun vae-export --help for usage.\n`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (v.version) {
    process.stdout.write(`${PRODUCER.version}\n`);
    return 0;
  }
  if (v.check) {
    if (positionals.length === 0) {
      process.stderr.write('vae-export: --check needs at least one .onnx file\n');
      return 2;
    }
    let bad = 0;
    for (const file of positionals) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await fs.readFile(file));
      } catch (e) {
        process.stdout.write(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})\n`);
        bad++;
        continue;
      }
      const report = validateModelBytes(bytes);
      process.stdout.write(`${formatReport(report, file)}\n`);
      if (!report.ok) bad++;
    }
    return bad ? 1 : 0;
  }
  if (positionals.length) {
    process.stderr.write(`vae-export: unexpected argument ${positionals[0]} (did you mean --check?)\n`);
    return 2;
  }
  if (!v.checkpoint || !v.out) {
    process.stderr.write(`vae-export: ${!v.checkpoint ? '--checkpoint' : '--out'} is required\nRun vae-export --help for usage.\n`);
    return 2;
  }
  let opset: number | undefined;
  if (v.opset !== undefined) {
    opset = Number(v.opset);
    if (!Number.isInteger(opset) || opset < OPSET_RANGE.min || opset > OPSET_RANGE.max) {
      process.stderr.write(`vae-export: --opset must be an integer in ${OPSET_RANGE.min}..${OPSET_RANGE.max}, got ${v.opset}\n`);
      return 2;
    }
  }
  const log = v.quiet ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  try {
    const t0 = Date.now();
    const r = await exportCheckpoint({
      checkpoint: v.checkpoint,
      out: v.out,
      name: v.name,
      opset,
      precision: v.fp16 ? 'fp16' : 'fp32',
      onProgress: log,
    });
    const m = r.manifest;
    log(`exported ${m.name}: ${m.arch}, latent ${m.latent}, ${m.precision}, opset ${m.onnx.opset}, ${m.training.epochs} epochs, test loss ${m.training.metrics?.testLoss?.toFixed(2) ?? 'n/a'} (${Date.now() - t0} ms)`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      process.stderr.write(`vae-export: ${e.code}: ${e.message}\nNothing was written.\n`);
      return 1;
    }
    process.stderr.write(`vae-export: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
