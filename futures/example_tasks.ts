/**
 * Functions for the examples of `futures/` and `futures.ts`: a pool runs
 * the functions that a module exports, so its examples need such a module.
 *
 * @module
 */

/**
 * Resolves to `value` (by default `ms`) after `ms` milliseconds: a call that
 * awaits, as a download does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./example_tasks.ts";
 * assert.equal(await sleep(10, "done"), "done");
 * assert.equal(await sleep(10), 10);
 * ```
 *
 * @param ms how long.
 * @param value what to resolve to.
 * @returns a promise of `value`, or of `ms`.
 */
export function sleep<T = number>(ms: number, value?: T): Promise<T | number> {
  return new Promise((resolve) => setTimeout(() => resolve(value ?? ms), ms));
}
