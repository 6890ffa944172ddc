import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // Platform-free: the SDK's browser bundle inlines this entry, so it must
    // never contain a `node:` import.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    sourcemap: true,
    splitting: false,
  },
  {
    // Node only: the checkpoint codec hashes with node:crypto and reads and
    // writes files with node:fs.
    entry: { 'checkpoint/index': 'src/checkpoint/index.ts', 'node/index': 'src/node/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: false,
  },
]);
