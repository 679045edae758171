/**
 * The statistics of the bench's tables: medians of the runs that gave a
 * number, and medians of paired ratios.
 *
 * @module
 */

/** The median of the numbers of `values` that are not NaN (a failed run); NaN when none. */
export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2) return sorted[mid];
  return sorted.length ? (sorted[mid - 1] + sorted[mid]) / 2 : NaN;
}

/** The median over the rounds r of `fn(a[r], b[r])`: when the machine's speed drifts over minutes, two runs compare best within one round. */
export function pairedMedian(
  a: number[],
  b: number[],
  fn: (a: number, b: number) => number,
): number {
  return median(a.map((x, r) => fn(x, b[r])));
}
