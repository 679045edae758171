/**
 * `ThreadPoolExecutor` on Workers (`concurrent/futures/thread.py`): how a
 * Worker starts, is sent a call, and stops; the rest is the core's
 * (`pool.ts`). A Worker stands in for the interpreter that Python's threads
 * share: it carries many calls, and one that awaits lets another run, as a
 * thread waiting on I/O releases the GIL. Unlike CPython's threads, Workers
 * run JavaScript in parallel; unlike them too, each costs tens of
 * milliseconds of this thread's time to create and about 8 MiB to keep.
 *
 * The Workers are `node:worker_threads`' because those can be unreferenced:
 * an idle pool does not keep the program alive, as Python joins its idle
 * threads at exit (a Web Worker always keeps its parent alive).
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { BrokenExecutor } from "./base.ts";
import type { Reply } from "./call.ts";
import {
  type PoolOptions,
  type WorkerEvents,
  type WorkerLink,
  WorkerPool,
} from "./pool.ts";

const WORKER_URL = new URL("./thread_worker.ts", import.meta.url);

/**
 * A Worker of the pool died: the calls it carried fail with this error;
 * when no Worker had answered yet (they cannot start), or the initializer
 * failed, every call of the pool, as Python's `BrokenThreadPool`.
 */
export class BrokenThreadPool extends BrokenExecutor {
  static {
    this.prototype.name = "BrokenThreadPool";
  }
}

/**
 * Runs functions exported by one module, at most `maxWorkers` calls at
 * once, on as few Workers as keep them going, as Python's
 * `ThreadPoolExecutor`.
 *
 * @example Calls that await share a Worker
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThreadPoolExecutor } from "../futures.ts";
 * import { sleep } from "./example_tasks.ts";
 *
 * const tasks = import.meta.resolve("./example_tasks.ts");
 * await using executor = new ThreadPoolExecutor(10, tasks);
 * const futures = Array.from({ length: 10 }, (_, i) => executor.submit(sleep, 100, i));
 * assert.ok(futures.every((future) => future.running()));
 * for (const [i, future] of futures.entries()) {
 *   assert.equal(await future.result(), i);
 * }
 * assert.ok(executor.workersCreated <= 2); // the second started while the first loaded
 * ```
 */
export class ThreadPoolExecutor extends WorkerPool {
  /** A Worker that dies fails its own calls only: the next Worker may do better. */
  protected readonly deathBreaksPool = false;

  /**
   * A pool that runs the exports of `module`.
   *
   * @param maxWorkers the most calls at once, and so Workers; by default,
   * as in Python, `min(32, CPUs + 4)`.
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

  /**
   * A Worker that serves the module's calls.
   *
   * @ignore
   */
  protected startWorker({ reply, died }: WorkerEvents): WorkerLink {
    const worker = new Worker(WORKER_URL, { workerData: this.module });
    const exited = Promise.withResolvers<void>();
    worker.on("message", (data: Reply) => reply(data));
    // It could not start, or a stray error escaped a call.
    worker.on("error", (exc) => died(`a Worker died: ${exc.message}`));
    worker.on("exit", (code) => {
      died(`a Worker exited (exit status ${code})`);
      exited.resolve();
    });
    const end = () => {
      void worker.terminate();
      exited.resolve();
    };
    return {
      send: (call) => worker.postMessage(call),
      keepAlive: (on) => on ? worker.ref() : worker.unref(),
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
