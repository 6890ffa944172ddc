import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: false,
  // @vae/format is not published: inline it (code and types) so the package
  // needs only protobufjs from npm.
  noExternal: ['@vae/format'],
});
