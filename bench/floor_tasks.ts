/**
 * The task of the bench's Worker floor, run by the Workers of its pool: a
 * download from the DELAY server without the download, only the wait.
 *
 * @module
 */

/** Waits `ms` milliseconds, as a request to DELAY does, with no network; returns `ms`. */
export function sleep(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}
