import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// Both runtimes stay external: users get them as dependencies, the native
// addon can't be bundled, and the browser bundle must never see onnxruntime-node.
const external = ['onnxruntime-node', 'onnxruntime-web'];
// @vae/format is not published: its code and types are inlined, so a plain
// `npm i` of the packed SDK needs nothing beyond the two runtimes.
const noExternal = ['@vae/format'];

export default defineConfig({
  // One build with code splitting, so every entry imports the same core chunk:
  // `@vae/sdk`, `/node`, `/web`, `/core` and the CLI share one `VAE` class and
  // one installed platform in a process (two builds gave `/core` its own copy,
  // with no backend). The core chunk has no node: import, so the browser entry
  // pulls in nothing Node-only; node-only code stays in node/cli chunks.
  // vae-worker: the dedicated worker's script, which web.js starts as
  // new URL('./vae-worker.js', import.meta.url) (LoadOptions.worker).
  entry: { node: 'src/node.ts', web: 'src/web.ts', index: 'src/index.ts', cli: 'src/cli.ts', 'vae-worker': 'src/worker/vae-worker.ts' },
  format: ['esm', 'cjs'],
  // universal.d.ts: types only, for the exports map's `default` branch (see src/universal.ts).
  dts: { entry: { node: 'src/node.ts', web: 'src/web.ts', index: 'src/index.ts', universal: 'src/universal.ts' } },
  clean: true,
  // es2022 runs in Node 20 and in the browsers onnxruntime-web supports.
  target: ['node20', 'es2022'],
  platform: 'node',
  sourcemap: true,
  // tsup splits ESM natively and CJS experimentally; both get shared chunks.
  splitting: true,
  // import.meta.url in the CJS build, to find the bundled model.
  shims: true,
  external,
  noExternal,
  define: { __SDK_VERSION__: JSON.stringify(version) },
});
