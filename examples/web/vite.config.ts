import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Cross-origin isolation lets onnxruntime-web use threaded WASM (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// Tests and benchmarks in a checkout without a trained model point this at a
// fixture folder (model.json, encoder.onnx, decoder.onnx) instead of the
// package's models/mnist. Unset, the app uses the model shipped in @vae/sdk.
const modelDir = process.env.VAE_DEMO_MODEL_DIR ? resolve(process.env.VAE_DEMO_MODEL_DIR) : undefined;
// src/model.ts globs `@demo-model/*`; the alias always exists so the glob is
// valid, and without a fixture it points at a folder with no model files.
const demoModelDir = modelDir ?? fileURLToPath(new URL('./src/no-demo-model', import.meta.url));
// The same for the conditional model (`@demo-cvae/`, VAE_DEMO_CVAE_DIR); unset, the app loads 'mnist-cvae'.
const cvaeDir = process.env.VAE_DEMO_CVAE_DIR ? resolve(process.env.VAE_DEMO_CVAE_DIR) : undefined;
const demoCvaeDir = cvaeDir ?? fileURLToPath(new URL('./src/no-demo-model', import.meta.url));
// The emoji model (`@demo-emoji/`, VAE_DEMO_EMOJI_DIR); unset, the app imports @vae/model-emoji.
const emojiDir = process.env.VAE_DEMO_EMOJI_DIR ? resolve(process.env.VAE_DEMO_EMOJI_DIR) : undefined;
const demoEmojiDir = emojiDir ?? fileURLToPath(new URL('./src/no-demo-model', import.meta.url));
const allow = [modelDir, cvaeDir, emojiDir].filter((d): d is string => d !== undefined);

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@demo-model\//, replacement: `${demoModelDir}/` },
      { find: /^@demo-cvae\//, replacement: `${demoCvaeDir}/` },
      { find: /^@demo-emoji\//, replacement: `${demoEmojiDir}/` },
    ],
  },
  server: { headers: isolation, ...(allow.length ? { fs: { allow: ['../..', ...allow] } } : {}) },
  preview: { headers: isolation },
  build: { target: 'es2022' },
});
