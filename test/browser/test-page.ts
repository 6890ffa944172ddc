/**
 * A minimal app around the SDK's browser build, for tests that need their own
 * page script: `node_modules/@vae/sdk` holds the built web entry, its chunks,
 * the worker script and the demo's model (as the shipped `models/mnist`), and
 * Vite builds `main.js` as any app would, so the worker and the runtime's wasm
 * are emitted by the bundler exactly as in a user's build.
 */
import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServeOptions } from '../../examples/web/serve.mjs';
import type { DemoModel } from './harness.js';
import { APP, SDK, copySdkWebBuild, serveApp } from './harness.js';

/** A built test app, served on 127.0.0.1. */
export interface TestPage {
  url: string;
  /** The built files (dist/). */
  dist: string;
  close(): Promise<void>;
}

/** Builds `main` (an ES module importing '@vae/sdk') with Vite and serves it. */
export async function buildTestPage(model: DemoModel, main: string, prefix: string, serve: ServeOptions = {}): Promise<TestPage> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const pkg = join(dir, 'node_modules/@vae/sdk');
  copySdkWebBuild(pkg);
  cpSync(model.dir, join(pkg, 'models/mnist'), { recursive: true, filter: (f) => !/\.(jsonl|png)$|plots/.test(f) });
  // The web entry names mnist-cvae's files too; the bundler must find them.
  cpSync(model.cvae.dir, join(pkg, 'models/mnist-cvae'), { recursive: true, filter: (f) => !/\.(jsonl|png)$|plots/.test(f) });
  symlinkSync(realpathSync(join(SDK, 'node_modules/onnxruntime-web')), join(dir, 'node_modules/onnxruntime-web'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><canvas id="grid" width="280" height="280"></canvas><script type="module" src="/main.js"></script>');
  writeFileSync(join(dir, 'main.js'), main);
  const r = spawnSync(process.execPath, [join(APP, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`vite build of the test page failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  const server = await serveApp(join(dir, 'dist'), serve);
  return {
    url: server.url,
    dist: join(dir, 'dist'),
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
