#!/usr/bin/env node
/**
 * `vae-export`: checkpoint -> ONNX, and a validator for any `.onnx` file.
 * Run `vae-export --help`.
 */
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
