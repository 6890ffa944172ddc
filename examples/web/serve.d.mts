/** One response of {@link serveStatic}: the path, status and body bytes sent (gzip bytes when gzipped). */
export interface ServedResponse {
  path: string;
  status: number;
  bytes: number;
}
/** Options of {@link serveStatic}. */
export interface ServeOptions {
  /** gzip responses for clients that accept it. */
  gzip?: boolean;
  /** Paths answered with 503, as if the network had them not. */
  refuse?: (path: string) => boolean;
  /** Called once per response. */
  onResponse?: (r: ServedResponse) => void;
}
export declare function serveStatic(root: string, port?: number, options?: ServeOptions): Promise<{ url: string; close: () => Promise<void> }>;
