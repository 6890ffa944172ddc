import { resolve } from 'node:path';
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

export default defineConfig({
  resolve: modelDir ? { alias: [{ find: /^@vae\/sdk\/models\/mnist\//, replacement: `${modelDir}/` }] } : {},
  server: { headers: isolation, ...(modelDir ? { fs: { allow: ['../..', modelDir] } } : {}) },
  preview: { headers: isolation },
  build: { target: 'es2022' },
});
