/**
 * The package boundaries of issue 8: trainer, exporter and SDK share only
 * `@vae/format`, and `@vae/format` stays light enough for the SDK's browser
 * bundle to inline. Read from the sources and package.json files, so a
 * violation fails here before any build.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FORMAT = '@vae/format';
/** What `@vae/format` must never pull in, by package-name prefix: the runtimes and the training stack. */
const HEAVY = [/^@tensorflow\//, /^onnxruntime(-|$)/, /^protobufjs$/, /^webgpu$/];
const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;

interface Pkg {
  dir: string;
  name: string;
  json: Record<string, Record<string, string> | string | undefined>;
}

/** Every workspace package under packages/ (test/ and examples/ hold apps and tests, not packages others import). */
function packages(): Pkg[] {
  return readdirSync(join(ROOT, 'packages'))
    .map((d) => join(ROOT, 'packages', d))
    .filter((d) => existsSync(join(d, 'package.json')))
    .map((dir) => {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Pkg['json'];
      return { dir, name: String(json.name), json };
    });
}

/** Code files under `dir`, tests excluded: tests may use devDependencies. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (CODE.test(e.name) && !/\.test\.[cm]?[jt]s$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * A package's own code: its src/, or, for a package with no build step (such as
 * @vae/model-emoji, plain index.js/index.cjs beside its model files), the code
 * files its package.json `files` lists.
 */
function codeFiles(pkg: Pkg): string[] {
  const src = join(pkg.dir, 'src');
  if (existsSync(src)) return sourceFiles(src);
  const listed = ((pkg.json as { files?: string[] }).files ?? []).map((f) => join(pkg.dir, f));
  return listed.filter((p) => existsSync(p) && CODE.test(p) && !p.endsWith('.d.ts'));
}

/** Static imports, re-exports, `import()` and `require()` of a file, as TypeScript's pre-processor sees them. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
const packageName = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const isRelative = (spec: string) => spec.startsWith('.') || spec.startsWith('/');

/**
 * Every import in `pkg`'s src/ that reaches another workspace package: by name
 * (other than `allowed`), or by a relative path out of the package's folder.
 */
export function boundaryViolations(pkg: Pkg, workspace: ReadonlySet<string>, allowed: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const file of codeFiles(pkg)) {
    const where = relative(ROOT, file);
    for (const spec of importsOf(file)) {
      if (isRelative(spec)) {
        const target = resolve(dirname(file), spec);
        if (target !== pkg.dir && !target.startsWith(pkg.dir + sep)) problems.push(`${where}: imports '${spec}', a path outside ${pkg.name}`);
        continue;
      }
      const name = packageName(spec);
      if (workspace.has(name) && name !== pkg.name && !allowed.has(name)) problems.push(`${where}: imports '${spec}'; only ${[...allowed].join(', ')} may be imported`);
    }
  }
  return problems;
}

const all = packages();
const workspace = new Set(all.map((p) => p.name));
const format = all.find((p) => p.name === FORMAT);

describe('workspace package boundaries', () => {
  it('finds the packages it guards', () => {
    expect([...workspace].sort()).toEqual(expect.arrayContaining(['@vae/format', '@vae/onnx-export', '@vae/sdk', '@vae/trainer']));
  });

  it.each(all.map((p) => [p.name, p] as const))('%s src/ imports no workspace package but @vae/format', (_name, pkg) => {
    expect(boundaryViolations(pkg, workspace, new Set([FORMAT]))).toEqual([]);
  });

  it.each(all.filter((p) => p.name !== FORMAT).map((p) => [p.name, p] as const))(
    '%s declares other workspace packages only as devDependencies (for tests)',
    (_name, pkg) => {
      const runtime = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) =>
        Object.keys((pkg.json[k] as Record<string, string> | undefined) ?? {}).map((d) => `${k}: ${d}`),
      );
      expect(runtime.filter((d) => workspace.has(d.split(': ')[1]) && !d.endsWith(`: ${FORMAT}`))).toEqual([]);
    },
  );

  it.each(all.filter((p) => p.name !== FORMAT).map((p) => [p.name, p] as const))('%s declares @vae/format when its src/ imports it', (_name, pkg) => {
    const uses = codeFiles(pkg).some((f) => importsOf(f).some((s) => packageName(s) === FORMAT));
    const declared = ['dependencies', 'devDependencies'].some((k) => FORMAT in ((pkg.json[k] as Record<string, string> | undefined) ?? {}));
    expect({ uses, declared }).toEqual({ uses, declared: uses });
  });

  it('reports a sibling import by name, by subpath, through require() and through a relative path', () => {
    // A throwaway package beside the real ones, so the rule is shown not to be vacuous.
    const root = mkdtempSync(join(tmpdir(), 'vae-boundary-'));
    try {
      const dir = join(root, 'packages', 'fake');
      mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
      writeFileSync(
        join(dir, 'src', 'deep', 'a.ts'),
        [
          "import type { ModelManifest } from '@vae/sdk';",
          "export { train } from '@vae/trainer';",
          "import { buildArchSpec } from '@vae/format';",
          "const c = require('@vae/trainer/checkpoint');",
          "import { x } from '../../../sdk/src/vae.js';",
          "import { y } from '../b.js';",
          "import z from 'protobufjs';",
        ].join('\n'),
      );
      const problems = boundaryViolations({ dir, name: '@vae/fake', json: {} }, new Set([...workspace, '@vae/fake']), new Set([FORMAT]));
      expect(problems.map((p) => p.replace(/^.*a\.ts: /, '')).sort()).toEqual([
        "imports '@vae/sdk'; only @vae/format may be imported",
        "imports '@vae/trainer'; only @vae/format may be imported",
        "imports '@vae/trainer/checkpoint'; only @vae/format may be imported",
        "imports '../../../sdk/src/vae.js', a path outside @vae/fake",
      ].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('@vae/format stays light', () => {
  it('exists', () => {
    expect(format, 'packages/format/package.json with name @vae/format').toBeDefined();
  });

  it('declares no runtime dependency at all', () => {
    const runtime = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) => Object.keys((format!.json[k] as Record<string, string> | undefined) ?? {}));
    expect(runtime).toEqual([]);
  });

  it('src/ imports only its own files and node: builtins: no tfjs, no onnxruntime, no workspace package', () => {
    const problems: string[] = [];
    for (const file of sourceFiles(join(format!.dir, 'src'))) {
      for (const spec of importsOf(file)) {
        if (isRelative(spec) || spec.startsWith('node:')) continue;
        const name = packageName(spec);
        const why = HEAVY.some((h) => h.test(name)) ? 'a heavy runtime' : workspace.has(name) ? 'a workspace package' : 'a package @vae/format does not declare';
        problems.push(`${relative(ROOT, file)}: imports '${spec}' (${why})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the main entry reaches no node: module, so the SDK browser bundle can inline it', () => {
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('node:')) nodeImports.push(`${relative(ROOT, file)}: '${spec}'`);
        else if (isRelative(spec)) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(format!.dir, 'src', 'index.ts'));
    expect(seen.size).toBeGreaterThan(3);
    expect(nodeImports).toEqual([]);
  });
});
