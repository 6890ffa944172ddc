import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, so a stale dist/ can't mask a bug.
    alias: [
      { find: /^@vae\/format\/checkpoint$/, replacement: src('./packages/format/src/checkpoint/index.ts') },
      { find: /^@vae\/format\/node$/, replacement: src('./packages/format/src/node/index.ts') },
      { find: /^@vae\/format$/, replacement: src('./packages/format/src/index.ts') },
      { find: /^@vae\/trainer$/, replacement: src('./packages/trainer/src/index.ts') },
      { find: /^@vae\/onnx-export$/, replacement: src('./packages/onnx-export/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
