/**
 * Browser-test plumbing: make sure `@vae/sdk` ships a model, build the demo,
 * serve it with COOP/COEP on 127.0.0.1 and drive Debian's chromium through
 * playwright-core.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * Makes `packages/sdk/models/mnist` hold a model, the way the SDK build does:
 * the trained `models/mnist` when the repository has it, else a random-init
 * fixture exported with `@vae/onnx-export` (the SDK tests' fixture). Builds the
 * SDK's dist when it is missing. Returns the model's manifest name.
 */
export async function ensureShippedModel(): Promise<{ name: string; trained: boolean }> {
  if (!existsSync(join(SDK, 'dist/web.js')) || !existsSync(join(SDK, 'dist/node.js'))) {
    run(process.execPath, [join(ROOT, 'node_modules/tsup/dist/cli-default.js')], { cwd: SDK });
  }
  const trained = join(ROOT, 'models/mnist/model.json');
  const shipped = join(SDK, 'models/mnist/model.json');
  const copy = join(SDK, 'scripts/copy-model.mjs');
  if (existsSync(trained)) {
    if (!existsSync(shipped) || readFileSync(shipped, 'utf8') !== readFileSync(trained, 'utf8')) run(process.execPath, [copy]);
  } else if (!existsSync(shipped)) {
    const { fixtureModel } = await import('../../packages/sdk/test/fixtures.js');
    run(process.execPath, [copy], { env: { VAE_SDK_MODEL_DIR: fixtureModel().dir } });
  }
  const name = (JSON.parse(readFileSync(shipped, 'utf8')) as { name: string }).name;
  return { name, trained: existsSync(trained) };
}

/** `vite build` of the demo into `outDir` (default examples/web/dist). */
export function buildApp(outDir = join(APP, 'dist')): string {
  run(process.execPath, [join(APP, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: APP });
  return outDir;
}

export async function serveApp(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const { serveStatic } = (await import(pathToFileURL(join(APP, 'serve.mjs')).href)) as typeof import('../../examples/web/serve.mjs');
  return serveStatic(dir);
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

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
