/** How the manifest and a started session compare tensor shapes, shared so both say the same thing. */

/** A shape for a message, `[N,1,28,28]`. */
export const formatShape = (shape: readonly (number | string)[]): string => `[${shape.join(',')}]`;

/** Numbers must match; a string (symbolic) dimension matches any symbol or -1. */
export function sameShape(actual: readonly (number | string)[], expected: readonly (number | string)[]): boolean {
  return (
    actual.length === expected.length &&
    actual.every((d, i) => (typeof expected[i] === 'string' ? typeof d === 'string' || d === -1 : d === expected[i]))
  );
}
