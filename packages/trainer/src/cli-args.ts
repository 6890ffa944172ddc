/**
 * Strict parsing of `vae-train`'s numeric flags. `Number()` accepts `0x10`,
 * `1e3` for integers, `""` and `Infinity`, and an integer flag outside its
 * range used to be silently wrapped (`--seed 4294967297` became seed 1), so
 * every value is matched against a decimal pattern and checked against the
 * range its flag allows, and the error names both.
 */
import { TrainOptionsError } from './train/train.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Rewrites `--flag -1` as `--flag=-1` for flags that take a value, so that a
 * negative number reaches the range check (node's parseArgs refuses it as an
 * ambiguous option otherwise).
 */
export function joinNegativeValues(argv: readonly string[], valueFlags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && valueFlags.has(a.slice(2)) && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Bounds of a numeric flag; `min`/`max` are inclusive unless `minExclusive`. */
export interface NumberRange {
  min?: number;
  max?: number;
  minExclusive?: boolean;
}

function rangeText(r: NumberRange): string {
  if (r.min !== undefined && r.max !== undefined) return `in [${r.min}, ${r.max}]`;
  if (r.min !== undefined) return r.minExclusive ? `> ${r.min}` : `>= ${r.min}`;
  if (r.max !== undefined) return `<= ${r.max}`;
  return '';
}

function checkRange(name: string, n: number, v: string, kind: string, r: NumberRange): number {
  const low = r.min !== undefined && (r.minExclusive ? n <= r.min : n < r.min);
  const high = r.max !== undefined && n > r.max;
  if (low || high) throw new TrainOptionsError(`--${name} expects ${kind} ${rangeText(r)}, got "${v}"`);
  return n;
}

/** A decimal number (`0.001`, `1e-3`, `-1`), finite and within `range`. */
export function parseDecimal(name: string, v: string | undefined, range: NumberRange = {}): number | undefined {
  if (v === undefined) return undefined;
  const kind = 'a decimal number';
  if (!DECIMAL.test(v.trim())) throw new TrainOptionsError(`--${name} expects ${kind}${range.min !== undefined || range.max !== undefined ? ` ${rangeText(range)}` : ''}, got "${v}"`);
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TrainOptionsError(`--${name} expects a finite ${kind}, got "${v}"`);
  return checkRange(name, n, v, kind, range);
}

/** A decimal integer (no exponent, no fraction) within `range`; never wrapped. */
export function parseInteger(name: string, v: string | undefined, range: NumberRange = {}): number | undefined {
  if (v === undefined) return undefined;
  const kind = 'a decimal integer';
  if (!INTEGER.test(v.trim())) throw new TrainOptionsError(`--${name} expects ${kind}${range.min !== undefined || range.max !== undefined ? ` ${rangeText(range)}` : ''}, got "${v}"`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new TrainOptionsError(`--${name} expects ${kind} ${rangeText(range) || `of at most ${Number.MAX_SAFE_INTEGER}`}, got "${v}"`);
  return checkRange(name, n, v, kind, range);
}

const SIZE = /^(\d+(\.\d+)?)\s*([KMGT]?)(i?B)?$/i;
const UNIT: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** A memory size: bytes, or with a binary unit (`512M`, `8G`, `16GiB`). */
export function parseSize(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = SIZE.exec(v.trim());
  const bytes = m ? Math.floor(Number(m[1]) * UNIT[m[3].toUpperCase()]) : NaN;
  if (!m || !(bytes >= 1) || !Number.isSafeInteger(bytes)) {
    throw new TrainOptionsError(`--${name} expects a size such as 512M, 8G or 17179869184 (bytes), got "${v}"`);
  }
  return bytes;
}

/** A comma-separated list of integers, each checked like {@link parseInteger}. */
export function parseIntegerList(name: string, v: string | undefined, range: NumberRange = {}): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((c) => parseInteger(name, c.trim(), range)!);
}
