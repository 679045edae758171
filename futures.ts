/**
 * A small `concurrent.futures` for Deno: `ThreadPoolExecutor` on Web
 * Workers, `ProcessPoolExecutor` on `deno` subprocesses, their `Future`s,
 * and `asCompleted`, which takes futures from any of them, and promises.
 * Like Python's package, it only gathers what its modules define.
 *
 * @example A Worker pool
 * ```ts
 * import { asCompleted, ThreadPoolExecutor } from "./futures.ts";
 * import { sleep } from "./tests/fixtures/tasks.ts";
 *
 * await using executor = new ThreadPoolExecutor(3, import.meta.resolve("./tests/fixtures/tasks.ts"));
 * const futures = [30, 10, 20].map((ms) => executor.submit(sleep, ms));
 * for await (const future of asCompleted(futures)) {
 *   console.log(await future.result()); // 10, 20, 30
 * }
 * ```
 *
 * @module
 */
export {
  asCompleted,
  BrokenExecutor,
  CancelledError,
  Executor,
  Future,
  type FutureState,
  ShutdownError,
} from "./futures/base.ts";
export { BrokenThreadPool, ThreadPoolExecutor } from "./futures/thread.ts";
export { BrokenProcessPool, ProcessPoolExecutor } from "./futures/process.ts";
