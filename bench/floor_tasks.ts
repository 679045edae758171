/**
 * The task of the bench's Worker floor, run by the Workers of its pool: a
 * download from the DELAY server without the download, only the wait.
 *
 * @module
 */

/**
 * Waits, as a request to DELAY does, with no network.
 *
 * @param ms how long, in milliseconds
 * @returns `ms`, once that time has passed
 */
export function sleep(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}
