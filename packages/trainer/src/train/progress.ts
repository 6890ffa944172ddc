/**
 * A per-epoch progress bar: images/s, running loss and ETA. On a TTY it
 * redraws one line; otherwise (CI logs, pipes) it prints a line at every 10%.
 */

/** Where progress goes; `process.stderr` by default. */
export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.max(0, Math.round(sec));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Progress of one epoch. */
export class EpochProgress {
  private readonly start = performance.now();
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly sink: ProgressSink | null,
    private readonly width = 24,
  ) {}

  /** Reports `done` images processed with the current running loss (none while decoding a data set). */
  update(done: number, loss?: number): void {
    if (!this.sink) return;
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const frac = Math.min(1, done / this.total);
    const eta = (this.total - done) / Math.max(rate, 1e-9);
    const filled = Math.round(frac * this.width);
    const bar = '█'.repeat(filled) + '░'.repeat(this.width - filled);
    const text = `${this.label} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${this.total} | ${rate.toFixed(0)} img/s ${loss === undefined ? '' : `| loss ${loss.toFixed(2)} `}| ETA ${formatDuration(eta)}`;
    if (this.sink.isTTY) {
      this.sink.write(`\r${text}\x1b[K`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        this.sink.write(`${text}\n`);
      }
    }
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.sink?.isTTY) this.sink.write('\n');
  }
}
