/**
 * The statistics of the bench's tables: medians of the runs that gave a
 * number.
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
