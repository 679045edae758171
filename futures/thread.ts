/**
 * `ThreadPoolExecutor` on Web Workers (`concurrent/futures/thread.py`): how
 * a Worker starts, is sent calls, and stops; the rest is the core's
 * (`pool.ts`). A Worker stands in for the interpreter that Python's threads
 * share: it carries many calls, and one that awaits lets another run, as a
 * thread waiting on I/O releases the GIL. Unlike CPython's threads, Workers
 * run JavaScript in parallel; unlike them too, each costs this thread about
 * 15 ms to create and about 8 MiB to keep.
 *
 * A Web Worker keeps its program alive as long as it exists (deno#14318),
 * where Python joins its idle threads at exit: so the pool ends a Worker
 * that has carried no call for `IDLE_MS`, and starts another when calls
 * come again.
 *
 * @module
 */
import { BrokenExecutor } from "./base.ts";
import {
  type PoolOptions,
  type WorkerEvents,
  type WorkerLink,
  WorkerPool,
} from "./pool.ts";
import type { Watch } from "./thread_worker.ts";

const WORKER_URL = new URL("./thread_worker.ts", import.meta.url);
/** How long a Worker that carries no call lives on. */
const IDLE_MS = 500;
/**
 * The Workers of this program, of any pool, that have not yet answered:
 * they may be fetching their modules over HTTP. Deno 2.9.6 lends a
 * Worker's connections to the others; ending that Worker fails the
 * fetches they carry ("dispatch task is gone"), so a Worker is stopped
 * only once the others have loaded.
 */
const loading = new Set<Promise<void>>();

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

  /** How long a Worker that carries no call lives on: a Web Worker keeps the program alive. */
  protected readonly idleMs: number | undefined = IDLE_MS;

  /**
   * A Web Worker that serves the module's calls, named after it, with the
   * memory it stamps the turns of its loop in.
   *
   * @ignore
   */
  protected startWorker({ message, died }: WorkerEvents): WorkerLink {
    const worker = new Worker(WORKER_URL, {
      type: "module",
      name: this.module,
    });
    const watch: Watch = {
      stamps: new Int32Array(new SharedArrayBuffer(4)),
      epoch: Math.floor(performance.timeOrigin),
    };
    worker.postMessage(watch);
    const exited = Promise.withResolvers<void>();
    const loaded = Promise.withResolvers<void>();
    loading.add(loaded.promise);
    loaded.promise.then(() => loading.delete(loaded.promise));
    worker.onmessage = ({ data }) => {
      loaded.resolve();
      worker.onmessage = ({ data }) => message(data); // loaded
      message(data);
    };
    // It could not load its code, or an error escaped the guards of serve.ts.
    worker.onerror = (event) => {
      event.preventDefault();
      loaded.resolve();
      died(`a Worker died: ${event.message}`);
    };
    const end = () => {
      loaded.resolve(); // it is ended, loaded or not
      worker.terminate();
      exited.resolve();
    };
    const others = () => [...loading].filter((p) => p !== loaded.promise);
    return {
      send: (message) => worker.postMessage(message),
      lastBeat: () => {
        const stamp = Atomics.load(watch.stamps, 0);
        if (!stamp) return -Infinity;
        return watch.epoch + stamp - performance.timeOrigin;
      },
      keepAlive: () => {}, // see IDLE_MS
      stop: () => void Promise.all(others()).then(end),
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
