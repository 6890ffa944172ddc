'use strict';
// CommonJS twin of index.js for require('@vae/model-emoji') in Node: the same
// three files, as file: URLs beside this file. module.exports is the source
// itself (no extra `default` key, which VAE.load would see as a fourth field);
// Node's ESM-from-CJS interop already makes it the default import.
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const at = (file) => pathToFileURL(join(__dirname, 'models', 'emoji', file));
const emoji = Object.freeze({ manifest: at('model.json'), encoder: at('encoder.onnx'), decoder: at('decoder.onnx') });

module.exports = emoji;
