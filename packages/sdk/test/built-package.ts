/**
 * The built package for tests that run `dist/` as a user gets it: builds it
 * when dist is missing or older than the sources (tsup's d.ts pass is slow on
 * 2 cores), and follows an entry's static imports to the chunks it loads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The SDK package folder. */
export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Its build output. */
export const dist = join(pkgDir, 'dist');

function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((t, e) => {
    const p = join(dir, e.name);
    // Specs and snapshots beside the sources are not built.
    if (e.name.endsWith('.test.ts') || e.name === '__snapshots__') return t;
    return Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }, 0);
}

/** Runs `pnpm build` in the package unless dist is newer than src, tsup.config.ts and package.json. */
export function ensureBuilt(): void {
  const built = existsSync(join(dist, 'node.js')) ? statSync(join(dist, 'node.js')).mtimeMs : 0;
  // The build inlines @vae/format, so its sources date dist/ too.
  const inputs = Math.max(newest(join(pkgDir, 'src')), newest(join(pkgDir, '..', 'format', 'src')), ...['tsup.config.ts', 'package.json'].map((f) => statSync(join(pkgDir, f)).mtimeMs));
  if (built < inputs || !existsSync(join(pkgDir, 'models', 'mnist', 'model.json'))) {
    execFileSync('npx', ['-y', 'pnpm@10.34.9', 'run', 'build'], { cwd: pkgDir, stdio: 'pipe' });
  }
}

/** The code of a dist entry and of every chunk it imports statically, transitively. */
export function entryWithChunks(file: string): string {
  const seen = new Set<string>();
  const visit = (f: string): string => {
    if (seen.has(f)) return '';
    seen.add(f);
    const code = readFileSync(join(dist, f), 'utf8');
    const deps = [...code.matchAll(/(?:from\s*|import\s*|require\()\s*["']\.\/(chunk-[\w-]+\.c?js)["']/g)].map((m) => m[1]);
    return code + deps.map(visit).join('');
  };
  return visit(file);
}
