/**
 * Hooks a platform entry point fills in, so the core never touches `node:fs`
 * or browser globals directly.
 * @internal
 */
export interface PlatformHooks {
  /** Reads a local regular file of at most `maxBytes` (Node only); see node/read-file-bounded.ts for the errors. */
  readFile?: (path: string, maxBytes: number) => Promise<Uint8Array>;
  /** Where the model shipped inside the package lives (a folder path, or one URL per file). */
  defaultModel?: () => string | URL | { manifest: URL | string; encoder: URL | string; decoder: URL | string };
  /** Hex sha256; Node's native hash starts faster than WebCrypto (cold start matters). */
  sha256?: (bytes: Uint8Array) => string;
  /** Whether a plain string source is a local path (Node) rather than a relative URL (browser). */
  stringsArePaths: boolean;
}

/** @internal */
export const platform: PlatformHooks = { stringsArePaths: false };

/** @internal */
export function setPlatform(hooks: Partial<PlatformHooks>): void {
  Object.assign(platform, hooks);
}
