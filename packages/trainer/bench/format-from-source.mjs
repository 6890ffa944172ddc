// An esbuild plugin that resolves @vae/format and its subpaths to the
// workspace sources. Bundles of the trainer made for tests and benches then run
// the code in the tree, never a stale (or missing) packages/format/dist.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const formatSrc = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'format', 'src');

/** The esbuild plugin. */
export const formatFromSource = {
  name: 'vae-format-from-source',
  setup(b) {
    b.onResolve({ filter: /^@vae\/format(\/(checkpoint|node))?$/ }, (args) => ({
      path: join(formatSrc, args.path === '@vae/format' ? 'index.ts' : `${args.path.slice('@vae/format/'.length)}/index.ts`),
    }));
  },
};
