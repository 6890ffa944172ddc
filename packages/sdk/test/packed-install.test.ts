/**
 * `npm i @vae/sdk` as a user runs it: the built package packed with
 * `pnpm pack`, installed from the tarball with plain npm into fresh folders
 * with a clean environment (PATH, a temp HOME and npm cache; no
 * ONNXRUNTIME_NODE_INSTALL), once as is and once with `--omit=optional`. In
 * each, the README's Node snippet runs as ESM, as CJS and as TypeScript
 * (type-checked with moduleResolution node16, nodenext and bundler, then
 * compiled and run), and `vae info` reports the runtime.
 *
 * On a machine where onnxruntime-node's install script cannot download its
 * CUDA provider (this one), npm drops that optional dependency and the plain
 * install runs on the wasm fallback too; where the download works it runs on
 * onnxruntime-node. Either way the install must succeed and the snippet run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Install } from '../scripts/install-size.mjs';
import { cleanEnv, installPacked, packSdk } from '../scripts/install-size.mjs';
import { BUNDLED_MODELS, tile } from '../src/index.js';
import { ensureBuilt, pkgDir } from './built-package.js';

const repo = join(pkgDir, '..', '..');
const TSC = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPE_ROOTS = join(repo, 'node_modules', '@types');

/** The README's first ```ts block: the Node snippet users copy. */
function readmeNodeSnippet(): string {
  const m = readFileSync(join(pkgDir, 'README.md'), 'utf8').match(/```ts\n([\s\S]*?)```/);
  if (!m) throw new Error('packages/sdk/README.md has no ```ts block');
  return m[1];
}

/** One line after the snippet so the test can see where it ran (it also type-checks `info.fallback`). */
const REPORT = `console.log(JSON.stringify({ device: vae.info.device, runtime: vae.info.runtime, fallback: vae.info.fallback ?? null }));\n`;

/** The snippet as CommonJS: `import { a, b } from 'x'` → `const { a, b } = require('x')`, in an async IIFE for the awaits. */
function toCjs(esm: string): string {
  const body = esm.replace(/^import \{([^}]+)\} from ('[^']+');$/gm, 'const {$1} = require($2);');
  if (/^import /m.test(body)) throw new Error(`the README snippet has an import this test cannot turn into require():\n${esm}`);
  return `(async () => {\n${body}${REPORT}})().catch((e) => { console.error(e); process.exit(1); });\n`;
}

const TS_MODES = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;

function tsconfig(dir: string, mode: keyof typeof TS_MODES, emit: boolean): string {
  const f = join(dir, `tsconfig.${mode}.json`);
  const compilerOptions = {
    ...TS_MODES[mode],
    target: 'es2022',
    strict: true,
    // The user's file is what must type-check; checking every .d.ts under node_modules triples the time.
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [TYPE_ROOTS],
    ...(emit ? { outDir: 'out' } : { noEmit: true }),
  };
  writeFileSync(f, `${JSON.stringify({ compilerOptions, files: ['snippet.ts'] }, null, 2)}\n`);
  return f;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Runs a file of the installed app in the clean environment; returns its report and the samples.png it wrote. */
function runSnippet(dir: string, home: string, args: string[]) {
  rmSync(join(dir, 'samples.png'), { force: true });
  rmSync(join(dir, 'sevens.png'), { force: true });
  const r = spawnSync(process.execPath, args, { cwd: dir, env: cleanEnv(home), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} in ${dir} failed (${r.status}):\n${r.stderr}`);
  const png = readFileSync(join(dir, 'samples.png'));
  // The snippet's "draw me a 7" from the bundled conditional model.
  const sevens = readFileSync(join(dir, 'sevens.png'));
  return { report: JSON.parse(r.stdout.trim().split('\n').pop()!), png, sevens };
}

/** Width and height from a PNG's IHDR. */
const pngSize = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];
/** The grid the snippet writes: 64 samples tiled 8 wide (with tile's default gaps). */
const grid = tile({ data: new Float32Array(64 * 784), shape: [64, 1, 28, 28] }, 8);
/** The snippet's sevens.png: 16 samples tiled 4 wide. */
const sevensGrid = tile({ data: new Float32Array(16 * 784), shape: [16, 1, 28, 28] }, 4);

let root: string;
let home: string;
let plain: Install;
let omit: Install;

beforeAll(() => {
  ensureBuilt();
  root = mkdtempSync(join(tmpdir(), 'vae-packed-install-'));
  home = join(root, 'home');
  mkdirSync(home);
  const tarball = packSdk(join(root, 'pack'));
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const name of BUNDLED_MODELS) {
    for (const f of ['model.json', 'encoder.onnx', 'decoder.onnx']) {
      if (!files.includes(`package/models/${name}/${f}`)) throw new Error(`the packed SDK lacks models/${name}/${f}`);
    }
  }
  // One private cache: the second install reuses what the first downloaded.
  plain = installPacked(tarball, { root, home });
  omit = installPacked(tarball, { root, home, flags: ['--omit=optional'] });
  console.log(
    `plain npm i: exit ${plain.status}, ${(plain.ms / 1000).toFixed(1)} s, ${(plain.kib / 1024).toFixed(0)} MiB, onnxruntime-node ${plain.onnxruntimeNode ? 'installed' : 'absent'}; ` +
      `--omit=optional: exit ${omit.status}, ${(omit.ms / 1000).toFixed(1)} s, ${(omit.kib / 1024).toFixed(0)} MiB`,
  );
  const snippet = readmeNodeSnippet();
  for (const { dir } of [plain, omit]) {
    if (!existsSync(join(dir, 'node_modules'))) continue;
    writeFileSync(join(dir, 'snippet.mjs'), snippet + REPORT);
    writeFileSync(join(dir, 'snippet.cjs'), toCjs(snippet));
    writeFileSync(join(dir, 'snippet.ts'), snippet + REPORT);
  }
}, 600_000);

// Two installs are ~300 MiB.
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FALLBACK = /^onnxruntime-node is not installed or failed to load \(Cannot find module 'onnxruntime-node'.*\), so this runs on onnxruntime-web's WebAssembly build/;

describe('packed SDK installed with plain npm', () => {
  it('npm i and npm i --omit=optional both exit 0 with no environment variables set', () => {
    expect(plain.status, plain.log).toBe(0);
    expect(omit.status, omit.log).toBe(0);
    expect(omit.onnxruntimeNode).toBe(false);
    for (const i of [plain, omit]) for (const name of BUNDLED_MODELS) expect(existsSync(join(i.dir, 'node_modules', '@vae', 'sdk', 'models', name, 'decoder.onnx'))).toBe(true);
  });

  it("the README's Node snippet type-checks with moduleResolution node16, nodenext and bundler", () => {
    for (const mode of Object.keys(TS_MODES) as (keyof typeof TS_MODES)[]) {
      const r = spawnSync(process.execPath, [TSC, '-p', tsconfig(plain.dir, mode, false)], { cwd: plain.dir, encoding: 'utf8', timeout: 120_000 });
      expect(`${mode}: exit ${r.status}\n${r.stdout}${r.stderr}`).toBe(`${mode}: exit 0\n`);
    }
  });

  for (const [name, pick] of [
    ['npm i', () => plain],
    ['npm i --omit=optional', () => omit],
  ] as const) {
    it(`${name}: the snippet runs as ESM, CJS and compiled TypeScript with identical PNGs, on the runtime the install provides`, () => {
      const install = pick();
      const tsc = spawnSync(process.execPath, [TSC, '-p', tsconfig(install.dir, 'nodenext', true)], { cwd: install.dir, encoding: 'utf8', timeout: 120_000 });
      expect(`exit ${tsc.status}\n${tsc.stdout}${tsc.stderr}`).toBe('exit 0\n');
      const runs = [['snippet.mjs'], ['snippet.cjs'], [join('out', 'snippet.js')]].map((a) => runSnippet(install.dir, home, a));
      for (const { report, png } of runs) {
        if (install.onnxruntimeNode) {
          expect(report).toEqual({ device: 'cpu', runtime: 'onnxruntime-node', fallback: null });
        } else {
          expect(report).toMatchObject({ device: 'wasm', runtime: 'onnxruntime-web' });
          expect(report.fallback).toMatch(FALLBACK);
        }
        expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
        expect(pngSize(png)).toEqual([grid.shape[3], grid.shape[2]]);
        expect(png.equals(runs[0].png)).toBe(true);
      }
      for (const { sevens } of runs) {
        expect(pngSize(sevens)).toEqual([sevensGrid.shape[3], sevensGrid.shape[2]]);
        expect(sevens.equals(runs[0].sevens)).toBe(true);
      }
    });
  }

  it('npm i --omit=optional: vae info says it runs on the wasm fallback, once', () => {
    const r = spawnSync(join(omit.dir, 'node_modules', '.bin', 'vae'), ['info'], { cwd: omit.dir, env: cleanEnv(home), encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^device {7}wasm \(execution provider wasm, onnxruntime-web\)$/m);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('fallback'));
    expect(lines).toHaveLength(1);
    expect(lines[0].replace(/^fallback\s+/, '')).toMatch(FALLBACK);
  });
});
