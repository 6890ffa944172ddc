/**
 * Browser-test plumbing: make sure `@vae/sdk` ships a model, build the demo,
 * serve it with COOP/COEP on 127.0.0.1 and drive Debian's chromium through
 * playwright-core.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { chromium } from 'playwright-core';
import type * as Sdk from '@vae/sdk';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const APP = join(ROOT, 'examples/web');
export const SDK = join(ROOT, 'packages/sdk');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** ENVIRONMENT.md: WebGPU on SwiftShader in headless Chromium, kept off the network. */
export const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
];
export const BASE_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The model the demo and the Node side both use. */
export interface DemoModel {
  /** Folder with model.json, encoder.onnx, decoder.onnx. */
  dir: string;
  name: string;
  /** `undefined` = `VAE.load()`'s default (the model shipped in @vae/sdk); else the fixture folder. */
  source: string | undefined;
  /** Environment for `vite build` (points the app at a fixture when there is no shipped model). */
  env: Record<string, string>;
  /** Whether it is a trained model (the manifest carries the trainer's test metrics). */
  trained: boolean;
  /** The conditional model the demo loads beside it: `'mnist-cvae'` (shipped) or a fixture folder. */
  cvae: { dir: string; name: string; source: string; trained: boolean };
}

/**
 * The shipped model when there is one: the SDK build copies the trained
 * `models/mnist` into `packages/sdk/models/mnist` (done here too when the copy is
 * missing or stale). Without a trained model, a random-init fixture exported with
 * `@vae/onnx-export` (the SDK tests' fixture) in a temp folder; it is never
 * written into the package, whose own tests treat a model there as the trained one.
 * Builds the SDK's dist when it is missing. `VAE_DEMO_MODEL_DIR` overrides all of this.
 */
export async function demoModel(): Promise<DemoModel> {
  if (!existsSync(join(SDK, 'dist/web.js')) || !existsSync(join(SDK, 'dist/node.js'))) {
    run(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js')], { cwd: SDK });
  }
  const stale = (name: string) => {
    const trained = join(ROOT, 'models', name, 'model.json');
    const shipped = join(SDK, 'models', name, 'model.json');
    return existsSync(trained) && (!existsSync(shipped) || readFileSync(shipped, 'utf8') !== readFileSync(trained, 'utf8'));
  };
  // Every bundled model is there, or copy-model fails saying which is missing.
  if (stale('mnist') || stale('mnist-cvae')) run(process.execPath, [join(SDK, 'scripts/copy-model.mjs')]);
  const shippedDir = join(SDK, 'models/mnist');
  const shipped = join(shippedDir, 'model.json');
  const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { name: string; training?: { metrics?: { testLoss?: number } | null } };
  const metrics = (dir: string) => typeof read(dir).training?.metrics?.testLoss === 'number';
  const { fixtureModel } = await import('../../packages/sdk/test/fixtures.js');
  // The conditional model: VAE_DEMO_CVAE_DIR, else the shipped mnist-cvae by name, else a conditional fixture.
  const cvaeShipped = join(SDK, 'models/mnist-cvae');
  const cvaeOverride = process.env.VAE_DEMO_CVAE_DIR;
  const cvaeDir = cvaeOverride ?? (existsSync(join(cvaeShipped, 'model.json')) ? cvaeShipped : fixtureModel({ classes: 10 }).dir);
  const cvaeByName = cvaeDir === cvaeShipped;
  const cvae = { dir: cvaeDir, name: read(cvaeDir).name, source: cvaeByName ? 'mnist-cvae' : cvaeDir, trained: metrics(cvaeDir) };
  const cvaeEnv: Record<string, string> = cvaeByName ? {} : { VAE_DEMO_CVAE_DIR: cvaeDir };
  // An explicit folder (e.g. a fresh `vae-export` of a run) wins: VAE_DEMO_MODEL_DIR=… npx vitest run test/browser
  const override = process.env.VAE_DEMO_MODEL_DIR;
  if (override) return { dir: override, name: read(override).name, source: override, env: { VAE_DEMO_MODEL_DIR: override, ...cvaeEnv }, trained: metrics(override), cvae };
  if (existsSync(shipped)) {
    const m = read(shippedDir);
    return { dir: shippedDir, name: m.name, source: undefined, env: cvaeEnv, trained: typeof m.training?.metrics?.testLoss === 'number', cvae };
  }
  const dir = fixtureModel().dir;
  return { dir, name: read(dir).name, source: dir, env: { VAE_DEMO_MODEL_DIR: dir, ...cvaeEnv }, trained: false, cvae };
}

/** `vite build` of the demo into `outDir` (default examples/web/dist). */
export function buildApp(env: Record<string, string> = {}, outDir = join(APP, 'dist')): string {
  run(process.execPath, [join(APP, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: APP, env });
  return outDir;
}

export async function serveApp(dir: string, options: import('../../examples/web/serve.mjs').ServeOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const { serveStatic } = (await import(pathToFileURL(join(APP, 'serve.mjs')).href)) as typeof import('../../examples/web/serve.mjs');
  return serveStatic(dir, 0, options);
}

/** Chromium with a fresh profile; `webgpu: false` leaves WebGPU off (no adapter). */
export async function launch(opts: { webgpu: boolean }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'vae-chromium-'));
  const args = [...BASE_FLAGS, ...(opts.webgpu ? WEBGPU_FLAGS : ['--disable-features=WebGPU'])];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    ignoreDefaultArgs: ['--headless'],
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** `@vae/sdk` exactly as the demo resolves it, with Node conditions: the built node entry. */
export async function loadNodeSdk(): Promise<typeof Sdk> {
  const entry = createRequire(join(APP, 'package.json')).resolve('@vae/sdk');
  const esm = entry.replace(/\.cjs$/, '.js');
  return (await import(pathToFileURL(esm).href)) as typeof Sdk;
}

/**
 * Copies the SDK's package.json and its browser build into `pkg` (a fake
 * node_modules/@vae/sdk): the web entry and the shared chunks it imports, since
 * the build is code-split (and the lazy chunks: the WebGL rewriter, the runtime fetch).
 */
export function copySdkWebBuild(pkg: string): void {
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  cpSync(join(SDK, 'package.json'), join(pkg, 'package.json'));
  for (const f of readdirSync(join(SDK, 'dist'))) if (/^(web|vae-worker|chunk-[\w-]+|onnx-rewrite-[\w-]+|runtime-fetch-[\w-]+)\.js$/.test(f)) cpSync(join(SDK, 'dist', f), join(pkg, 'dist', f));
}

export { maxAbsDiff } from '../max-abs-diff.js';
