import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    'classifier-cli': 'src/classifier/classifier-cli.ts',
    sweep: 'src/sweep/sweep-cli.ts',
    'sweep-parent-watch': 'src/sweep/parent-watch.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: false,
  shims: true,
  // tfjs-core's Node entry (a CJS bundle) leaves out the gradient registry, and
  // its ESM build uses extensionless imports Node cannot load. Bundling tfjs'
  // ESM sources gives one consistent copy with every gradient registered; an
  // optional @tensorflow/tfjs-node still shares the engine through tfjs'
  // global namespace.
  noExternal: [/^@tensorflow\/tfjs-(core|backend-cpu|backend-webgpu)/],
  // The bundled tfjs calls require('util') etc.; ESM output needs a real require.
  banner: (ctx) => (ctx.format === 'esm' ? { js: "import { createRequire as __vaeCreateRequire } from 'node:module'; const require = __vaeCreateRequire(import.meta.url);" } : {}),
});
