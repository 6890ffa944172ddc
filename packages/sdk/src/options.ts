/**
 * One checker for every options object the SDK accepts: a misspelt key
 * (`{ devise: 'cuda' }`) or a value of the wrong type (`{ sample: 'yes' }`)
 * is a {@link VAEInputError} naming the key, instead of being ignored.
 * Ranges that depend on the call (a dimension below the latent size, threads
 * below a multiple of the cores) are checked by the caller after this.
 */
import { VAEInputError } from './errors.js';
import { describe } from './random.js';

/** One option's expected type: a description for the message and a test. @internal */
export interface OptionType {
  /** How the expected value reads in an error, e.g. `"a boolean"`. */
  readonly expected: string;
  /** Whether `v` (never `undefined`: omitted options are not checked) has this type. */
  readonly test: (v: unknown) => boolean;
}

/** Each valid key of an options object and its type. @internal */
export type OptionSchema = Readonly<Record<string, OptionType>>;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const pair = (v: unknown, item: (x: unknown) => boolean) => Array.isArray(v) && v.length === 2 && v.every(item);

/** Building blocks for {@link OptionSchema}s. @internal */
export const t = {
  boolean: { expected: 'a boolean (true or false)', test: (v) => typeof v === 'boolean' },
  string: { expected: 'a string', test: (v) => typeof v === 'string' },
  number: { expected: 'a finite number', test: finite },
  positiveNumber: { expected: 'a positive finite number', test: (v) => finite(v) && v > 0 },
  // setTimeout holds at most 2^31-1 ms; a longer wait is for ever in practice, which Infinity says.
  timeoutMs: { expected: `a positive number of milliseconds up to ${2 ** 31 - 1}, or Infinity`, test: (v) => v === Infinity || (finite(v) && v > 0 && v <= 2 ** 31 - 1) },
  integer: { expected: 'an integer', test: (v) => Number.isInteger(v) },
  positiveInteger: { expected: 'a positive integer', test: (v) => Number.isInteger(v) && (v as number) > 0 },
  function: { expected: 'a function', test: (v) => typeof v === 'function' },
  object: { expected: 'an object', test: (v) => typeof v === 'object' && v !== null && !Array.isArray(v) },
  /** Duck-typed, so a polyfilled or other realm's signal passes too. */
  abortSignal: {
    expected: 'an AbortSignal',
    test: (v) => typeof v === 'object' && v !== null && typeof (v as AbortSignal).aborted === 'boolean' && typeof (v as AbortSignal).addEventListener === 'function',
  },
  /** A conditional model's label: one class index, or an array (or integer typed array) of them; ranges are checked against the model. */
  label: {
    expected: 'a class index (an integer) or an array of class indices',
    test: (v) => typeof v === 'number' || Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)),
  },
  numberPair: { expected: 'a pair of finite numbers [a, b]', test: (v) => pair(v, finite) },
  integerPair: { expected: 'a pair of integers [a, b]', test: (v) => pair(v, Number.isInteger) },
  /** One of the listed literal values. */
  oneOf: (...values: readonly unknown[]): OptionType => ({
    expected: `one of ${values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}`,
    test: (v) => values.includes(v),
  }),
  /** Either of two types. */
  either: (a: OptionType, b: OptionType): OptionType => ({ expected: `${a.expected} or ${b.expected}`, test: (v) => a.test(v) || b.test(v) }),
} satisfies Record<string, OptionType | ((...a: never[]) => OptionType)>;

/**
 * Checks `options` against `schema` and returns it (`{}` when omitted):
 * `undefined` values count as omitted, unknown keys and values of the wrong
 * type throw.
 *
 * @param where - the call, as the message should name it, e.g. `'vae.sample'`
 * @throws {@link VAEInputError} for a non-object, an unknown key (the message lists the valid
 *   keys and the closest one), or a value of the wrong type (naming the key, the value and the type)
 * @internal
 */
export function checkOptions<T extends object>(where: string, options: T | undefined, schema: OptionSchema): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new VAEInputError(`${where}: options must be an object (or omitted), got ${describe(options)}`);
  }
  const valid = Object.keys(schema);
  for (const key of Object.keys(options)) {
    const type = schema[key];
    if (!Object.hasOwn(schema, key)) {
      const near = closest(key, valid);
      throw new VAEInputError(
        `${where}: unknown option ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; valid options are ${valid.join(', ')}`,
      );
    }
    const v = (options as Record<string, unknown>)[key];
    if (v !== undefined && !type.test(v)) {
      throw new VAEInputError(`${where}: option ${key} must be ${type.expected}, got ${describe(v)}${typeof v === 'string' || typeof v === 'number' ? ` (${typeof v})` : ''}`);
    }
  }
  return options;
}

/** The valid key within edit distance 2 of `key`, if one is. */
function closest(key: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const v of valid) {
    const d = editDistance(key.toLowerCase(), v.toLowerCase());
    if (d < bestD) [best, bestD] = [v, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
