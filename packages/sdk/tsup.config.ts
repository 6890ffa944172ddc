import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// Both runtimes stay external: users get them as dependencies, the native
// addon can't be bundled, and the browser bundle must never see onnxruntime-node.
const external = ['onnxruntime-node', 'onnxruntime-web'];
// @vae/format is not published: its code and types are inlined, so a plain
// `npm i` of the packed SDK needs nothing beyond the two runtimes.
const noExternal = ['@vae/format'];

export default defineConfig([
  {
    // Node: the full SDK, the platform-free core, and the CLI.
    entry: { node: 'src/node.ts', index: 'src/index.ts', cli: 'src/cli.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { node: 'src/node.ts', index: 'src/index.ts' } },
    clean: true,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: false,
    // import.meta.url in the CJS build, to find the bundled model.
    shims: true,
    external,
    noExternal,
    define: { __SDK_VERSION__: JSON.stringify(version) },
  },
  {
    // Browser: no node: imports, onnxruntime-web loaded lazily.
    entry: { web: 'src/web.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { web: 'src/web.ts' } },
    clean: false,
    target: 'es2022',
    platform: 'browser',
    sourcemap: true,
    splitting: false,
    external,
    noExternal,
  },
]);
