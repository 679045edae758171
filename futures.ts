/**
 * `concurrent.futures` for Deno: `ThreadPoolExecutor` on Web Workers,
 * `ProcessPoolExecutor` on `deno` subprocesses (one core, `futures/pool.ts`,
 * under both), their `Future`s, `asCompleted` and `wait`, which take futures
 * from any of them, and promises. Python's names in camelCase, timeouts in
 * seconds. Like Python's package, it only gathers what its modules define.
 *
 * @example A Worker pool
 * ```ts
 * import { asCompleted, ThreadPoolExecutor } from "./futures.ts";
 * import { sleep } from "./tests/fixtures/tasks.ts";
 *
 * await using executor = new ThreadPoolExecutor(3, import.meta.resolve("./tests/fixtures/tasks.ts"));
 * const futures = [500, 100, 300].map((ms) => executor.submit(sleep, ms));
 * for await (const future of asCompleted(futures)) {
 *   console.log(await future.result()); // 100, 300, 500
 * }
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
export type { Call, ErrorFields, Outcome } from "./futures/call.ts";
export {
  type EndSignal,
  type PoolOptions,
  SHORT_CALL_MS,
  type WorkerEvents,
  type WorkerLink,
  WorkerPool,
} from "./futures/pool.ts";
export { BrokenThreadPool, ThreadPoolExecutor } from "./futures/thread.ts";
export {
  BrokenProcessPool,
  ProcessPoolExecutor,
  type ProcessPoolOptions,
} from "./futures/process.ts";
