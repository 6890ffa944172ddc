import type { Plugin } from 'esbuild';
/** An esbuild plugin resolving @vae/format (and /checkpoint, /node) to the workspace sources. */
export declare const formatFromSource: Plugin;
