/**
 * Budget: the SDK's own JS in a browser bundle (minified, gzipped,
 * onnxruntime-web excluded) stays within 30 KB. `pnpm bench:web` prints it too.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { APP } from './harness.js';

it('@vae/sdk browser bundle is ≤ 30 KB gzipped, without onnxruntime-node or -web', async () => {
  const { sdkBrowserBundleSize, SDK_BUDGET_BYTES } = (await import(
    pathToFileURL(join(APP, 'bench/sdk-size.mjs')).href
  )) as typeof import('../../examples/web/bench/sdk-size.mjs');
  const { raw, gzip, code } = await sdkBrowserBundleSize();
  console.log(`@vae/sdk browser bundle: ${(raw / 1024).toFixed(1)} KB minified, ${(gzip / 1024).toFixed(1)} KB gzipped (budget ${SDK_BUDGET_BYTES / 1024} KB)`);
  expect(gzip).toBeLessThanOrEqual(SDK_BUDGET_BYTES);
  // The runtime stays a lazy external import, never inlined.
  expect(code).toMatch(/import\(["'`]onnxruntime-web["'`]\)/);
  expect(code).not.toContain('onnxruntime-node');
});
