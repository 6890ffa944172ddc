#!/usr/bin/env node
/**
 * `pnpm data:emoji`: lays out Google's Noto Color Emoji (64x64 RGBA PNGs from
 * the npm package emoji-datasource-google@16.0.0) as an image folder for
 * `vae-train --dataset`, with a `file,label` CSV of each image's category.
 *
 * The tarball (74 MB, mostly sprite sheets) is fetched with `npm pack` rather
 * than installed, so the default install stays small. The result is built
 * under a temporary name and renamed into place, so it is whole or absent; a
 * second run finds it and does nothing.
 *
 *   node packages/trainer/scripts/data-emoji.mjs [--cache-dir DIR]   (default ~/.cache/vae)
 *
 * Prints the dataset folder, labels CSV, image and category counts.
 * Licences: the package is MIT; the images are Apache-2.0 (Noto Color Emoji).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const PKG = 'emoji-datasource-google';
const VERSION = '16.0.0';
const NAME = `${PKG}-${VERSION}`;
const IMG_DIR = 'package/img/google/64';

/** A failure with its message for the user; thrown (not exited) so that the temporary folder is removed. */
class EmojiDataError extends Error {}

function fail(msg) {
  throw new EmojiDataError(msg);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.error && r.error.code === 'ENOENT') fail(`${cmd} is not on PATH; ${what} needs it (install Node.js with npm, or put ${cmd} on PATH)`);
  if (r.error) fail(`${what}: ${r.error.message}`);
  return r;
}

function csvCell(s) {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function main(argv) {
  const i = argv.indexOf('--cache-dir');
  const root = i >= 0 ? argv[i + 1] : join(homedir(), '.cache', 'vae');
  if (!root) fail('--cache-dir needs a directory');
  const final = join(root, NAME);
  const images = join(final, 'images');
  const labels = join(final, 'labels.csv');
  if (existsSync(join(final, 'labels.csv'))) {
    process.stdout.write(`already prepared: ${final}\n  vae-train --dataset ${images} --labels ${labels}\n`);
    return;
  }
  const t0 = performance.now();
  await fs.mkdir(root, { recursive: true });
  // Left by a killed run: its process is gone.
  for (const f of await fs.readdir(root)) {
    const m = new RegExp(`^\\.${NAME.replace(/\./g, '\\.')}\\.(\\d+)\\.tmp$`).exec(f);
    if (m && !alive(Number(m[1]))) await fs.rm(join(root, f), { recursive: true, force: true });
  }
  const tmp = join(root, `.${NAME}.${process.pid}.tmp`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  try {
    const pack = run('npm', ['pack', `${PKG}@${VERSION}`, '--pack-destination', tmp, '--silent'], 'fetching the emoji package');
    if (pack.status !== 0) fail(`npm pack ${PKG}@${VERSION} failed (exit ${pack.status}): ${(pack.stderr || pack.stdout).trim().slice(-2000)}`);
    const tgz = join(tmp, `${NAME}.tgz`);
    if (!existsSync(tgz)) fail(`npm pack did not write ${tgz}`);
    // GNU tar needs --wildcards for the pattern; bsdtar (macOS) matches patterns without it.
    let x = run('tar', ['-xzf', tgz, '-C', tmp, '--wildcards', 'package/emoji.json', `${IMG_DIR}/*.png`], 'extracting the emoji package');
    if (x.status !== 0) x = run('tar', ['-xzf', tgz, '-C', tmp, 'package/emoji.json', `${IMG_DIR}/*.png`], 'extracting the emoji package');
    if (x.status !== 0) fail(`tar could not extract ${tgz}: ${x.stderr.trim().slice(-2000)}`);
    await fs.rm(tgz);

    const table = JSON.parse(await fs.readFile(join(tmp, 'package', 'emoji.json'), 'utf8'));
    if (!Array.isArray(table)) fail('emoji.json is not an array of emoji');
    const category = new Map();
    for (const e of table) {
      category.set(e.image, e.category);
      for (const v of Object.values(e.skin_variations ?? {})) category.set(v.image, e.category);
    }
    const out = join(tmp, 'dataset');
    await fs.mkdir(join(out, 'images'), { recursive: true });
    const rows = ['file,label'];
    let unlabelled = 0;
    let wrongShape = 0;
    const files = (await fs.readdir(join(tmp, IMG_DIR))).filter((f) => f.endsWith('.png')).sort();
    for (const f of files) {
      const src = join(tmp, IMG_DIR, f);
      const cat = category.get(f);
      const meta = await sharp(src).metadata();
      // Only what the folder loader should see: a labelled 64x64 RGBA image.
      if (!cat) {
        unlabelled++;
        continue;
      }
      if (meta.width !== 64 || meta.height !== 64 || ![2, 4].includes(meta.channels)) {
        wrongShape++;
        continue;
      }
      // 62 black-and-white emoji are stored as grey+alpha: widened losslessly to RGBA, so every file is 64x64 RGBA.
      if (meta.channels === 2) await sharp(src).toColourspace('srgb').ensureAlpha().png().toFile(join(out, 'images', f));
      else await fs.rename(src, join(out, 'images', f));
      rows.push(`${csvCell(f)},${csvCell(cat)}`);
    }
    await fs.writeFile(join(out, 'labels.csv'), `${rows.join('\n')}\n`);
    await fs.rename(join(tmp, 'package', 'emoji.json'), join(out, 'emoji.json'));
    await fs.rename(out, final);
    const n = rows.length - 1;
    const cats = new Set(rows.slice(1).map((r) => r.slice(r.indexOf(',') + 1)));
    process.stdout.write(
      `prepared ${final} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${n} images (64x64 RGBA PNG) in ${cats.size} categories` +
        `${unlabelled ? `; left out ${unlabelled} images with no category in emoji.json` : ''}${wrongShape ? `; left out ${wrongShape} images that are not 64x64 with alpha` : ''}\n` +
        `  vae-train --arch celeba --dataset ${images} --labels ${labels}\n`,
    );
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`data:emoji: ${e instanceof EmojiDataError ? e.message : e.stack}\n`);
  process.exit(1);
});
