/**
 * The public API's TSDoc (issue 4: "fully typed, TSDoc with examples"): every
 * listed declaration, and every member of the listed interfaces, carries a doc
 * comment, and the listed functions and classes carry an `@example`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const FILES = ['backends/onnx-node.ts', 'vae.ts', 'tensors.ts', 'source/types.ts', 'elbo.ts', 'manifest.ts', 'images.ts', 'random.ts', 'interpolate.ts', 'node.ts'];
// Declared in @vae/format, re-exported by the SDK and inlined into its .d.ts: the same docs reach SDK users.
FILES.push('../../format/src/manifest.ts', '../../format/src/xoshiro128.ts');

interface Decl {
  node: ts.Node;
  file: string;
}
const decls = new Map<string, Decl>();
for (const f of FILES) {
  const sf = ts.createSourceFile(f, readFileSync(join(src, f), 'utf8'), ts.ScriptTarget.Latest, true);
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) decls.set(d.name.getText(sf), { node: st, file: f });
    else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st)) && st.name) decls.set(st.name.text, { node: st, file: f });
  }
}

const docs = (n: ts.Node) => ts.getJSDocCommentsAndTags(n).filter(ts.isJSDoc);
const hasDoc = (n: ts.Node) => docs(n).some((d) => (typeof d.comment === 'string' ? d.comment : d.comment?.map((c) => c.text).join('') ?? '').trim().length > 10);
const hasExample = (n: ts.Node) => docs(n).some((d) => d.tags?.some((t) => t.tagName.text === 'example' && /```ts\n[\s\S]+```/.test(String(t.comment ?? ''))));
const get = (name: string) => {
  const d = decls.get(name);
  expect(d, `${name} not found in ${FILES.join(', ')}`).toBeDefined();
  return d!;
};

describe('TSDoc of the public API', () => {
  it.each(['CUDA_INSTALL_HINT', 'WEBGPU_HINT'])('%s has a doc comment', (name) => {
    expect(hasDoc(get(name).node), `${name} (${get(name).file})`).toBe(true);
  });

  it.each(['VAEInfo', 'ImageBatch', 'LatentBatch', 'ModelBytes', 'ModelUrls', 'ElboResult', 'ManifestGraph'])('every member of %s has a doc comment', (name) => {
    const node = get(name).node as ts.InterfaceDeclaration;
    expect(hasDoc(node), name).toBe(true);
    const missing = node.members.filter((m) => !hasDoc(m)).map((m) => m.name?.getText());
    expect(missing, `${name} members without docs`).toEqual([]);
  });

  it.each(['toGray8', 'fromImageData', 'imageAt', 'Xoshiro128', 'fillGaussian', 'lerp', 'slerp', 'parseManifest', 'bundledModelDir', 'tile', 'toImageData', 'gaussianLatents', 'negativeElbo', 'VAE'])(
    '%s has an @example',
    (name) => {
      expect(hasExample(get(name).node), `${name} (${get(name).file})`).toBe(true);
    },
  );

  it('examples that call writeFile import it', () => {
    for (const f of [...FILES.map((f) => join(src, f)), join(src, '..', 'README.md')]) {
      const text = readFileSync(f, 'utf8');
      for (const block of text.match(/```ts\n[\s\S]*?```/g) ?? []) {
        if (/\bwriteFile\(/.test(block)) expect(block, `${f}: ${block.slice(0, 80)}`).toMatch(/import \{[^}]*\bwriteFile\b[^}]*\} from 'node:fs\/promises'/);
      }
    }
  });
});
