/**
 * The package's imports are declared, and the built package (code and type
 * declarations) only refers to packages a consumer gets installed
 * (`dependencies`): the unpublished workspace packages it uses are inlined.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const deps = new Set(Object.keys(pkg.dependencies ?? {}));
const devDeps = new Set(Object.keys(pkg.devDependencies ?? {}));
/** devDependencies the build bundles into dist (tsup `noExternal`), so src/ may import their values. */
const inlined = new Set(((tsupConfig as { noExternal?: (string | RegExp)[] }).noExternal ?? []).filter((n): n is string => typeof n === 'string'));
const builtins = new Set(builtinModules);

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
const packageName = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const isBare = (spec: string) => !spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('node:') && !builtins.has(packageName(spec));

/** Every `import … from 'x'` / `export … from 'x'` in `text`, with whether it is type-only. */
function imports(text: string): { spec: string; typeOnly: boolean }[] {
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[3], typeOnly: !!m[2] });
  return out;
}

/** What built code loads: static imports, `import()` and `require()`. */
function loads(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([@\w][\w@/.:-]*)['"]/gm)].map((m) => m[1]);
}

describe('package.json declares what the package imports', () => {
  it('every bare import in src/ is a dependency, or a devDependency that is type-only or inlined by the build', () => {
    const problems: string[] = [];
    const srcDir = join(pkgDir, 'src');
    for (const f of readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      for (const { spec, typeOnly } of imports(readFileSync(join(srcDir, f), 'utf8'))) {
        if (!isBare(spec)) continue;
        const name = packageName(spec);
        if (deps.has(name)) continue;
        if (devDeps.has(name) && (typeOnly || inlined.has(name))) continue;
        problems.push(
          `src/${f}: ${typeOnly ? 'import type' : 'import'} from '${spec}' but ${name} is not in ${typeOnly ? 'dependencies or devDependencies' : 'dependencies (nor an inlined devDependency)'}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it('the built package loads and references only its dependencies: @vae/format code and types are inlined', () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-onnx-export-dist-'));
    const tsup = join(pkgDir, '..', '..', 'node_modules', '.bin', 'tsup');
    const r = spawnSync(tsup, ['--out-dir', out], { cwd: pkgDir, encoding: 'utf8', timeout: 110_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const files = readdirSync(out).filter((f) => /\.(c?js|d\.c?ts)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.cjs', 'cli.js', 'index.d.ts']));
    const stray: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(out, f), 'utf8');
      for (const spec of loads(text).filter(isBare)) if (!deps.has(packageName(spec))) stray.push(`${f}: '${spec}'`);
    }
    expect(stray).toEqual([]);
    // So a packed tarball installs from npm: no workspace package is a runtime dependency.
    expect([...deps].filter((d) => d.startsWith('@vae/'))).toEqual([]);
    const dts = readFileSync(join(out, 'index.d.ts'), 'utf8');
    expect(dts).toMatch(/interface ModelManifest \{/);
    expect(dts).toMatch(/interface ArchSpec \{/);
  });
});
