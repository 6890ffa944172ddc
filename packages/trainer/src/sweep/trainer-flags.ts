/**
 * What `vae-train` accepts, asked of vae-train itself: its own strict
 * argument parser runs before `--help` returns, so `vae-train ARGS --help`
 * exits 0 exactly when every flag in ARGS is known and has the right arity.
 * Asking the built trainer keeps the sweep in step with flags added to
 * vae-train later, without a second copy of its flag table.
 */
import { execFile } from 'node:child_process';

/** Outcome of one `vae-train ARGS --help` probe. */
export interface ProbeResult {
  ok: boolean;
  /** vae-train's error line(s) when not ok, without the `vae-train: TypeError: ` prefix. */
  message: string;
  /** The help text when ok. */
  help: string;
}

/** Runs `node cli ARGS --help` and reports whether vae-train's parser accepted ARGS. */
export function probeTrainer(cli: string, args: readonly string[]): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args, '--help'], { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const message = String(stderr).trim().replace(/^vae-train: (TypeError: )?/, '');
      resolve({ ok: !err, message: message || (err ? err.message : ''), help: String(stdout) });
    });
  });
}

/** Whether a vae-train flag takes a value (`--latent N`) or is a switch (`--conditional`). */
export type FlagKind = 'value' | 'boolean';

/** The long flags named in vae-train's help text, for error messages that list what is accepted. */
export function flagsInHelp(help: string): string[] {
  return [...new Set([...help.matchAll(/(?:^|[\s[(|])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))].sort();
}

/**
 * Classifies `name` by two probes: `--name=0` parses only for a value flag,
 * a bare `--name` only for a switch (a value flag would swallow `--help`
 * and be refused as ambiguous). Returns null when vae-train knows neither.
 */
export async function classifyFlag(cli: string, name: string): Promise<FlagKind | null> {
  const [asValue, asSwitch] = await Promise.all([probeTrainer(cli, [`--${name}=0`]), probeTrainer(cli, [`--${name}`])]);
  if (asValue.ok) return 'value';
  if (asSwitch.ok) return 'boolean';
  return null;
}
