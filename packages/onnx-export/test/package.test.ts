/**
 * The package's imports are declared, and the published type declarations
 * only refer to packages a consumer gets installed (`dependencies`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const deps = new Set(Object.keys(pkg.dependencies ?? {}));
const devDeps = new Set(Object.keys(pkg.devDependencies ?? {}));

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
const packageName = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const isBare = (spec: string) => !spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('node:');

/** Every `import … from 'x'` / `export … from 'x'` in `text`, with whether it is type-only. */
function imports(text: string): { spec: string; typeOnly: boolean }[] {
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[3], typeOnly: !!m[2] });
  return out;
}

describe('package.json declares what the package imports', () => {
  it('every bare import in src/ is a dependency (value imports) or at least a devDependency (type-only imports)', () => {
    const problems: string[] = [];
    const srcDir = join(pkgDir, 'src');
    for (const f of readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      for (const { spec, typeOnly } of imports(readFileSync(join(srcDir, f), 'utf8'))) {
        if (!isBare(spec)) continue;
        const name = packageName(spec);
        if (deps.has(name)) continue;
        if (typeOnly && devDeps.has(name)) continue;
        problems.push(`src/${f}: ${typeOnly ? 'import type' : 'import'} from '${spec}' but ${name} is not in ${typeOnly ? 'dependencies or devDependencies' : 'dependencies'}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the built index.d.ts inlines the type-only devDependency types (no dangling @vae/sdk reference)', () => {
    const out = mkdtempSync(join(tmpdir(), 'vae-onnx-export-dts-'));
    const tsup = join(pkgDir, '..', '..', 'node_modules', '.bin', 'tsup');
    const r = spawnSync(tsup, ['--dts-only', '--out-dir', out], { cwd: pkgDir, encoding: 'utf8', timeout: 110_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const dts = readFileSync(join(out, 'index.d.ts'), 'utf8');
    const refs = imports(dts).map((i) => i.spec).filter(isBare).map(packageName);
    expect(refs.filter((n) => !deps.has(n))).toEqual([]);
    expect(dts).toMatch(/interface ModelManifest \{/);
  });
});
