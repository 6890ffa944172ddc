/** The PyTorch peer's environment: OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1 over `env`. */
export declare function peerEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
/** A long-lived PyTorch peer spoken to one JSON line at a time. */
export interface Peer {
  next(): Promise<any>;
  request(line: string): Promise<any>;
  close(): Promise<void>;
  kill(): void;
}
/** Starts `python args...` as a line-protocol peer. */
export declare function startPeer(python: string, args: string[]): Peer;
