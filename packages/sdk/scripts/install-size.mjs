#!/usr/bin/env node
// What `npm i @vae/sdk` costs a user: packs the built SDK (`pnpm pack`, which
// ships dist/ and the bundled model), installs the tarball with plain npm into
// fresh folders with a clean environment (no ONNXRUNTIME_NODE_INSTALL, a temp
// HOME and npm cache; only PATH is kept, so the npm registry stays reachable),
// with and without `--omit=optional`, and prints each install's exit status,
// time, node_modules size (`du -sk`) and whether onnxruntime-node landed.
//
//   npx -y pnpm@10.34.9 --filter @vae/sdk build && node packages/sdk/scripts/install-size.mjs
//
// The packed-install test imports packSdk/installPacked from here, so the
// figures the README quotes come from the code the test runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = ['-y', 'pnpm@10.34.9'];

/** Packs the built package into `dest` (a fresh temp folder by default); returns the tarball's path. */
export function packSdk(dest = mkdtempSync(join(tmpdir(), 'vae-sdk-pack-'))) {
  if (!existsSync(join(pkgDir, 'dist', 'node.js'))) throw new Error(`${pkgDir}/dist is missing: build first (pnpm --filter @vae/sdk build)`);
  for (const name of ['mnist', 'mnist-cvae']) {
    if (!existsSync(join(pkgDir, 'models', name, 'model.json'))) throw new Error(`${pkgDir}/models/${name} is missing: the build copies it; the pack would ship without it`);
  }
  execFileSync('npx', [...PNPM, 'pack', '--pack-destination', dest], { cwd: pkgDir, stdio: 'pipe' });
  const tgz = readdirSync(dest).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`pnpm pack wrote no .tgz into ${dest}`);
  return join(dest, tgz);
}

/** A clean environment: PATH only, plus a private HOME and npm cache (shared between installs of one run). */
export function cleanEnv(home) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, npm_config_cache: join(home, '.npm'), npm_config_update_notifier: 'false' };
}

/**
 * Installs `tarball` with plain `npm i` (plus `flags`) into a fresh folder under `root`.
 * @returns {{ dir: string, status: number | null, ms: number, kib: number, onnxruntimeNode: boolean, log: string }}
 */
export function installPacked(tarball, { root, home, flags = [], name = flags.join('').replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '') || 'plain' }) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json.tmp'), `${JSON.stringify({ name: `vae-install-${name}`, private: true, type: 'module' }, null, 2)}\n`);
  renameSync(join(dir, 'package.json.tmp'), join(dir, 'package.json'));
  const args = ['i', '--no-audit', '--no-fund', ...flags, tarball];
  const t0 = performance.now();
  const r = spawnSync('npm', args, { cwd: dir, env: cleanEnv(home), encoding: 'utf8', timeout: 300_000 });
  const ms = performance.now() - t0;
  const nm = join(dir, 'node_modules');
  const kib = existsSync(nm) ? Number(execFileSync('du', ['-sk', nm], { encoding: 'utf8' }).split('\t')[0]) : 0;
  return { dir, status: r.status, ms, kib, onnxruntimeNode: existsSync(join(nm, 'onnxruntime-node', 'package.json')), log: `${r.stdout}\n${r.stderr}` };
}

/** What the README quotes: plain npm; without optional deps; and with onnxruntime-node kept (its CUDA download skipped, as where it succeeds). */
export const VARIANTS = Object.freeze([
  { cmd: 'npm i', flags: [] },
  { cmd: 'npm i --omit=optional', flags: ['--omit=optional'] },
  { cmd: 'npm i --onnxruntime-node-install=skip', flags: ['--onnxruntime-node-install=skip'] },
]);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = mkdtempSync(join(tmpdir(), 'vae-install-size-'));
  const home = join(root, 'home');
  mkdirSync(home);
  const tarball = packSdk(join(root, 'pack'));
  console.log(`tarball ${tarball}`);
  // The first round fills the private cache from the registry; the second is a warm-cache install.
  for (const round of ['cold', 'warm']) {
    for (const v of VARIANTS) {
      const r = installPacked(tarball, { root, home, flags: v.flags, name: `${v.flags.join('') || 'plain'}-${round}`.replace(/[^a-z]+/g, '-') });
      console.log(
        `${v.cmd.padEnd(40)} ${round} cache: exit ${r.status}, ${(r.ms / 1000).toFixed(1)} s, node_modules ${(r.kib / 1024).toFixed(0)} MiB, onnxruntime-node ${r.onnxruntimeNode ? 'installed' : 'absent (wasm fallback)'}`,
      );
      if (r.status !== 0) console.log(r.log);
    }
  }
}
