/**
 * Entry of the SDK's dedicated Web Worker (`dist/vae-worker.js`), started by
 * `VAE.load(source, { worker: true })`: onnxruntime-web runs here, off the
 * page's main thread.
 *
 * @packageDocumentation
 */
import { webBackend } from '../backends/onnx-web.js';
import type { ServerPort } from './serve-backend.js';
import { serveBackend } from './serve-backend.js';

serveBackend(globalThis as unknown as ServerPort, webBackend);
