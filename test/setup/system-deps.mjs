#!/usr/bin/env node
// First step of `pnpm test`: the Debian packages the tests need. On a fresh
// machine the README's test command must work by itself, so a root user gets
// them installed here; anyone else gets the exact command and a non-zero exit
// instead of a dozen confusing test failures later.
//
// VAE_SYSTEM_DEPS=skip opts out (the tests that need a package then fail with
// their own install hint).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * What each Debian package provides and how to tell it is there. Probes run
 * without a shell so a missing binary is a failed probe, not an error.
 * @type {ReadonlyArray<{ pkg: string, why: string, present: () => boolean }>}
 */
export const REQUIREMENTS = Object.freeze([
  { pkg: 'chromium', why: 'browser tests, and SwiftShader\'s Vulkan ICD for WebGPU without a GPU', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'libvulkan1', why: 'the Vulkan loader Dawn and ORT\'s WebGPU provider dlopen', present: () => hasLib('libvulkan.so.1') },
  { pkg: 'python3-torch', why: 'the PyTorch reference peer', present: () => python('import torch') },
  { pkg: 'python3-onnx', why: 'onnx.checker over the exported graphs', present: () => python('import onnx') },
  { pkg: 'libonnx-testdata', why: 'ONNX\'s own test models, every one of which vae-export --check must accept', present: () => existsSync('/usr/share/libonnx-testdata/data/node/test_abs/model.onnx') },
  { pkg: 'fonts-dejavu-core', why: 'a font for the text of the plots (librsvg inside sharp draws titles, ticks and labels with it)', present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf') },
  { pkg: 'libopenblas0-pthread', why: 'an optimised BLAS under PyTorch (the reference BLAS makes it 3-4x slower)', present: () => hasLib('libopenblas.so.0') },
]);

function hasLib(name) {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.split('\n').some((l) => l.trim().startsWith(`${name} `));
}

function python(code) {
  return spawnSync('/usr/bin/python3', ['-c', code], { stdio: 'ignore' }).status === 0;
}

/**
 * Decides what to do about the missing packages.
 * @param {string[]} missing Debian package names
 * @param {{ isRoot: boolean, hasApt: boolean }} host
 * @returns {{ action: 'none' } | { action: 'install', command: string[] } | { action: 'stop', message: string }}
 */
export function plan(missing, host) {
  if (missing.length === 0) return { action: 'none' };
  const install = ['apt-get', 'install', '-y', ...missing];
  if (!host.hasApt) {
    return { action: 'stop', message: `missing system packages ${missing.join(', ')} and no apt-get here; install their equivalents, or set VAE_SYSTEM_DEPS=skip` };
  }
  if (!host.isRoot) {
    return { action: 'stop', message: `missing system packages ${missing.join(', ')}; install them with:\n  sudo apt-get update && sudo ${install.join(' ')}\n(or set VAE_SYSTEM_DEPS=skip to run the tests without them)` };
  }
  return { action: 'install', command: install };
}

function main() {
  if (process.env.VAE_SYSTEM_DEPS === 'skip') {
    console.log('system-deps: VAE_SYSTEM_DEPS=skip, not checking Debian packages');
    return 0;
  }
  const missing = REQUIREMENTS.filter((r) => !r.present());
  const decision = plan(missing.map((r) => r.pkg), {
    isRoot: process.getuid?.() === 0,
    hasApt: spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0,
  });
  if (decision.action === 'none') return 0;
  for (const r of missing) console.error(`system-deps: missing ${r.pkg} (${r.why})`);
  if (decision.action === 'stop') {
    console.error(`system-deps: ${decision.message}`);
    return 1;
  }
  console.log(`system-deps: installing ${missing.map((r) => r.pkg).join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync(decision.command[0], [...decision.command.slice(1), '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const still = REQUIREMENTS.filter((r) => !r.present()).map((r) => r.pkg);
  if (still.length) {
    console.error(`system-deps: apt-get finished but ${still.join(', ')} still not found`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main());
