// The SDK's own JavaScript as a browser bundle: everything `@vae/sdk` exports
// (no tree-shaking credit), resolved through the package's exports map with
// browser conditions, minified by Vite, onnxruntime-web left out. Shared by
// `pnpm bench:web` and the browser tests (budget: 30 KB gzipped).
// Library mode keeps newlines and indentation in ES output unless told
// otherwise (Vite does so to keep pure annotations for the app's own
// tree-shaking); an app's build strips them, so the measure does too
// (`output.minify`): counting whitespace no browser receives added ~2 KB gzip.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

export const SDK_BUDGET_BYTES = 30 * 1024;

/** @returns {Promise<{ raw: number, gzip: number, code: string, chunks: { name: string, raw: number, gzip: number, code: string }[] }>} */
export async function sdkBrowserBundleSize() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const result = await build({
    configFile: false,
    root,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry: fileURLToPath(new URL('./sdk-entry.js', import.meta.url)), formats: ['es'], fileName: 'sdk' },
      rollupOptions: { external: [/^onnxruntime-web/], output: { minify: true } },
    },
  });
  // Library mode inlines every `new URL(asset, import.meta.url)` as base64; the
  // shipped model is an asset (an app build emits it as files), not the SDK's
  // JavaScript, so its data: URLs are cut before measuring.
  const chunks = [result]
    .flat()
    .flatMap((r) => r.output)
    .filter((o) => o.type === 'chunk')
    .map((c) => {
      const code = c.code.replace(/data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+/g, 'data:,');
      return { name: c.fileName, raw: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, code };
    });
  const code = chunks.map((c) => c.code).join('\n');
  if (/from\s*["']onnxruntime-node|import\(["']onnxruntime-node|require\(["']onnxruntime-node/.test(code)) {
    throw new Error('the browser bundle of @vae/sdk pulled in onnxruntime-node');
  }
  return { raw: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, code, chunks };
}
