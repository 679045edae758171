/**
 * `concurrent.futures` for Deno: `ThreadPoolExecutor` on Workers,
 * `ProcessPoolExecutor` on `deno` subprocesses (one core, `futures/pool.ts`,
 * under both), their `Future`s, `asCompleted` and `wait`, which take futures
 * from any of them, and promises. Python's names in camelCase, timeouts in
 * seconds. Like Python's package, it only gathers what its modules define.
 *
 * @example A Worker pool: results as they complete
 * ```ts
 * import assert from "node:assert/strict";
 * import { asCompleted, ThreadPoolExecutor } from "./futures.ts";
 * import { sleep } from "./futures/example_tasks.ts";
 *
 * const tasks = import.meta.resolve("./futures/example_tasks.ts");
 * await using executor = new ThreadPoolExecutor(3, tasks);
 * const futures = [500, 100, 300].map((ms) => executor.submit(sleep, ms));
 * const results = [];
 * for await (const future of asCompleted(futures)) {
 *   results.push(await future.result());
 * }
 * assert.deepEqual(results, [100, 300, 500]);
 * ```
 *
 * @module
 */
export {
  ALL_COMPLETED,
  asCompleted,
  BrokenExecutor,
  CancelledError,
  Executor,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  type FutureState,
  type Iterables,
  type MapOptions,
  type ReturnWhen,
  ShutdownError,
  type ShutdownOptions,
  TimeoutError,
  wait,
} from "./futures/base.ts";
export type { PoolOptions } from "./futures/pool.ts";
export { BrokenThreadPool, ThreadPoolExecutor } from "./futures/thread.ts";
export {
  BrokenProcessPool,
  ProcessPoolExecutor,
  type ProcessPoolOptions,
} from "./futures/process.ts";
