/**
 * The statistics of the bench's tables: the median of the runs that gave a
 * number, and the median of paired ratios.
 *
 * @module
 */

/**
 * The median of the numbers of `values` that are not NaN (a failed run).
 *
 * @param values the numbers
 * @returns the middle one, or the mean of the two middle ones; NaN when none
 */
export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The median of `fn(a[r], b[r])` over the rounds r: when the machine's speed
 * drifts over minutes, two runs compare best within one round.
 *
 * @param a a time per round
 * @param b another time per round
 * @param fn what to make of the two
 * @returns the median of the rounds' values
 */
export function pairedMedian(
  a: number[],
  b: number[],
  fn: (a: number, b: number) => number,
): number {
  return median(a.map((x, r) => fn(x, b[r])));
}
