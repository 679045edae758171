/**
 * `ThreadPoolExecutor` on Web Workers, which stand in for Python's threads
 * (`concurrent/futures/thread.py`): how a Worker starts, is sent a call,
 * and stops; the rest is the core's (`pool.ts`). Unlike CPython's threads,
 * Workers run JavaScript in parallel; unlike them too, each costs about
 * 30 ms of this thread's time to create and about 8 MiB to keep.
 *
 * @module
 */
import { BrokenExecutor } from "./base.ts";
import type { Outcome } from "./call.ts";
import {
  type PoolOptions,
  type WorkerEvents,
  type WorkerLink,
  WorkerPool,
} from "./pool.ts";

const WORKER_URL = new URL("./thread_worker.ts", import.meta.url);

/**
 * A Worker of the pool died: the call it ran fails with this error; when
 * no Worker had answered yet (they cannot start), or the initializer
 * failed, every call of the pool, as Python's `BrokenThreadPool`.
 */
export class BrokenThreadPool extends BrokenExecutor {
  /** Shown in stack traces, and how the class is found again across threads. */
  override name = "BrokenThreadPool";
}

/**
 * Runs functions exported by one module on a pool of at most `maxWorkers`
 * Workers, one call per Worker at a time, as Python's `ThreadPoolExecutor`.
 *
 * @example Two calls on two Workers
 * ```ts
 * import { ThreadPoolExecutor } from "../futures.ts";
 * import { sleep } from "../tests/fixtures/tasks.ts";
 *
 * await using executor = new ThreadPoolExecutor(2, import.meta.resolve("../tests/fixtures/tasks.ts"));
 * const future = executor.submit(sleep, 10, "done");
 * console.log(await future.result()); // "done"
 * for await (const ms of executor.map(sleep, [20, 10])) console.log(ms); // 20, 10
 * ```
 */
export class ThreadPoolExecutor extends WorkerPool {
  /** A Worker that dies fails its call only: the next Worker may do better. */
  protected readonly deathBreaksPool = false;

  /**
   * A pool that runs the exports of `module`.
   *
   * @param maxWorkers the most Workers it creates; by default, as in
   * Python, `min(32, CPUs + 4)`.
   * @param module the URL of the module whose exported functions it runs.
   * @param options `initializer` (exported by `module`) and `initargs`,
   * run once in each Worker before its first call; `errorClasses`.
   * @throws {RangeError} if `maxWorkers` is less than 1.
   */
  constructor(
    maxWorkers: number | undefined,
    module: string | URL,
    options?: PoolOptions,
  ) {
    super(
      maxWorkers ?? Math.min(32, navigator.hardwareConcurrency + 4),
      module,
      options,
    );
  }

  /** A Worker named after the module, which its body imports. */
  protected startWorker({ reply, died }: WorkerEvents): WorkerLink {
    const worker = new Worker(WORKER_URL, {
      type: "module",
      name: this.module,
    });
    const exited = Promise.withResolvers<void>();
    worker.onmessage = ({ data }: MessageEvent<Outcome>) => reply(data);
    worker.onerror = (event) => {
      // The Worker could not start, or a stray error escaped a call.
      event.preventDefault();
      died(`a Worker died: ${event.message}`);
    };
    const end = () => {
      worker.terminate();
      exited.resolve();
    };
    return {
      send: (call) => worker.postMessage(call),
      stop: end,
      kill: end,
      exited: exited.promise,
    };
  }

  /** A `BrokenThreadPool`. */
  protected brokenError(
    message: string,
    options?: ErrorOptions,
  ): BrokenThreadPool {
    return new BrokenThreadPool(message, options);
  }
}
