/**
 * Browser entry point of `@vae/sdk`: installs the browser platform
 * (onnxruntime-web, the bundled model's URLs), then re-exports the core. Bundlers pick this file
 * through the `browser`/`default` export conditions, so onnxruntime-node is
 * never part of a browser bundle.
 *
 * @example
 * ```ts
 * import { VAE, tile, toImageData } from '@vae/sdk';
 * const vae = await VAE.load(); // the bundled model; device 'auto': webgpu, else wasm
 * ctx.putImageData(toImageData(tile(await vae.sample(16, { seed: 1 }), 4)), 0, 0);
 * ```
 *
 * @packageDocumentation
 */
import { webBackend } from './backends/onnx-web.js';
import { installPlatform } from './platform.js';
import type { ClientPort } from './worker/worker-backend.js';

// In Node, an already installed Node platform wins over this one (see installPlatform).
installPlatform({
  name: 'browser',
  backend: webBackend,
  stringsArePaths: false,
  // The literal pattern every bundler (Vite, webpack 5, Parcel, esbuild with a plugin) turns into a
  // worker bundle of its own; without a bundler it is the package's dist/vae-worker.js beside this file.
  startWorker: () => new Worker(new URL('./vae-worker.js', import.meta.url), { type: 'module', name: 'vae-sdk' }) as unknown as ClientPort,
  // One literal `new URL('…', import.meta.url)` per file, resolved against this
  // module: bundlers (Vite, webpack 5, Parcel, esbuild with a loader) emit each
  // file as an asset (Vite inlines the small manifest as a data: URL), and
  // without a bundler (or from a CDN) they are the package's own files. A single
  // URL for the folder or model.json would leave the graphs un-emitted.
  // Every bundled model spelt out, so a bundler emits all of them (a URL built
  // from the name would be opaque to it).
  // Both models' dtype variants too (VAE.load('mnist', { dtype })): emitting a file
  // costs nothing until a page asks for that dtype.
  defaultModel: (name = 'mnist', dtype) =>
    name === 'mnist-cvae'
      ? dtype === 'int8'
        ? {
            manifest: new URL('../models/mnist-cvae/model.json', import.meta.url),
            encoder: new URL('../models/mnist-cvae/encoder_int8.onnx', import.meta.url),
            decoder: new URL('../models/mnist-cvae/decoder_int8.onnx', import.meta.url),
          }
        : dtype === 'fp16'
          ? {
              manifest: new URL('../models/mnist-cvae/model.json', import.meta.url),
              encoder: new URL('../models/mnist-cvae/encoder_fp16.onnx', import.meta.url),
              decoder: new URL('../models/mnist-cvae/decoder_fp16.onnx', import.meta.url),
            }
          : {
              manifest: new URL('../models/mnist-cvae/model.json', import.meta.url),
              encoder: new URL('../models/mnist-cvae/encoder.onnx', import.meta.url),
              decoder: new URL('../models/mnist-cvae/decoder.onnx', import.meta.url),
            }
      : dtype === 'int8'
        ? {
            manifest: new URL('../models/mnist/model.json', import.meta.url),
            encoder: new URL('../models/mnist/encoder_int8.onnx', import.meta.url),
            decoder: new URL('../models/mnist/decoder_int8.onnx', import.meta.url),
          }
        : dtype === 'fp16'
          ? {
              manifest: new URL('../models/mnist/model.json', import.meta.url),
              encoder: new URL('../models/mnist/encoder_fp16.onnx', import.meta.url),
              decoder: new URL('../models/mnist/decoder_fp16.onnx', import.meta.url),
            }
          : {
              manifest: new URL('../models/mnist/model.json', import.meta.url),
              encoder: new URL('../models/mnist/encoder.onnx', import.meta.url),
              decoder: new URL('../models/mnist/decoder.onnx', import.meta.url),
            },
});

export * from './index.js';
