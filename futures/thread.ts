/**
 * `ThreadPoolExecutor` on Web Workers, which stand in for Python's threads
 * (`concurrent/futures/thread.py`). Unlike CPython's threads, Workers run
 * JavaScript in parallel; unlike them too, each costs about 30 ms of this
 * thread's time to create and about 8 MiB to keep.
 *
 * @module
 */
import {
  BrokenExecutor,
  Executor,
  type Future,
  type WorkItem,
  WorkQueue,
} from "./base.ts";
import type { Call } from "./call.ts";
import type { Outcome } from "./thread_worker.ts";

const WORKER_URL = new URL("./thread_worker.ts", import.meta.url);
/** What one more Worker costs: `new Worker()` blocks this thread ~30 ms. */
const WORKER_COST_MS = 30;
/** Calls timed before they are judged short: one may be an outlier (a `loiter(0)`). */
const SAMPLES = 3;

/**
 * A Worker of the pool died: the call it ran fails with this error, and when
 * no Worker had answered yet (they cannot start), every call of the pool, as
 * Python's `BrokenThreadPool`.
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
export class ThreadPoolExecutor extends Executor {
  readonly #maxWorkers: number;
  readonly #module: string;
  readonly #queue: WorkQueue;
  readonly #idle: Worker[] = [];
  /** The calls posted to each busy Worker; the first one is running. */
  readonly #busy = new Map<Worker, WorkItem[]>();
  #workersCreated = 0;
  #peakRunning = 0;
  #callsDone = 0;
  #callMsTotal = 0;
  #growing = false;
  #broken?: BrokenThreadPool;

  /**
   * A pool that runs the exports of `module`.
   *
   * @param maxWorkers the most Workers it creates.
   * @param module the URL of the module whose exported functions it runs.
   * @throws {RangeError} if `maxWorkers` is less than 1.
   */
  constructor(maxWorkers: number, module: string | URL) {
    super();
    if (!(maxWorkers >= 1)) throw new RangeError("maxWorkers must be >= 1");
    this.#maxWorkers = maxWorkers;
    this.#module = String(module);
    this.#queue = new WorkQueue(this.#module);
  }

  /** How many Workers this pool has created so far. */
  get workersCreated(): number {
    return this.#workersCreated;
  }

  /** The most calls that ran at once, each on its own Worker. */
  get peakRunning(): number {
    return this.#peakRunning;
  }

  /**
   * Schedules `fn(...args)` on a Worker.
   *
   * @param fn a named function that the pool's module exports.
   * @param args its arguments, which must survive structured cloning.
   * @returns the future of the call.
   * @throws {ShutdownError} after `shutdown`.
   * @throws {BrokenThreadPool} once a Worker died before any answered.
   * @throws {TypeError} if `fn` has no name.
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    if (this.#broken) throw this.#broken;
    const future = this.#queue.put(fn, args);
    this.#dispatch();
    return future;
  }

  /**
   * Waits for the submitted calls, then terminates every Worker.
   *
   * @param options `cancelFutures`: cancel the calls no Worker has taken.
   */
  async shutdown({ cancelFutures = false } = {}): Promise<void> {
    await this.#queue.join({ cancelFutures });
    for (const worker of this.#idle.splice(0)) worker.terminate();
  }

  /** Python's core: idle Workers take queued calls, then the pool adjusts its size; plus one tuning. */
  #dispatch(): void {
    this.#startQueued();
    if (this.#shortCalls()) this.#holdNext();
    this.#adjustWorkerCount();
  }

  #startQueued(): void {
    while (this.#idle.length) {
      const task = this.#queue.take();
      if (!task) return;
      this.#post(this.#idle.pop()!, task);
    }
  }

  /** Short calls: each busy Worker also holds its next one, so it never waits a message round trip for this thread. */
  #holdNext(): void {
    for (const [worker, tasks] of this.#busy) {
      if (tasks.length > 1) continue;
      const task = this.#queue.take();
      if (!task) return;
      this.#post(worker, task);
    }
  }

  /** Adds a Worker when one would pay off: at once for the first, then one per turn of the event loop, so replies are handled while the pool grows. */
  #adjustWorkerCount(): void {
    if (this.#growing || !this.#shouldGrow()) return;
    if (this.#size() === 0) {
      this.#idle.push(this.#newWorker());
      return this.#startQueued();
    }
    this.#growing = true;
    setTimeout(() => {
      this.#growing = false;
      if (this.#shouldGrow()) this.#idle.push(this.#newWorker());
      this.#dispatch();
    });
  }

  /** Whether a call waits, no Worker is idle, and one more Worker would pay off. */
  #shouldGrow(): boolean {
    if (!this.#queue.length || this.#idle.length) return false;
    const size = this.#size();
    if (size >= this.#maxWorkers) return false;
    // While this thread is blocked creating a Worker, the others sit idle once
    // their call is done: calls shorter than that are better left to them.
    return size === 0 || !this.#shortCalls();
  }

  #size(): number {
    return this.#idle.length + this.#busy.size;
  }

  /** Whether calls take less time than a Worker costs, so far. */
  #shortCalls(): boolean {
    return this.#callsDone >= SAMPLES &&
      this.#callMsTotal / this.#callsDone < WORKER_COST_MS;
  }

  #newWorker(): Worker {
    const worker = new Worker(WORKER_URL, {
      type: "module",
      name: this.#module,
    });
    this.#workersCreated += 1;
    worker.onmessage = ({ data }: MessageEvent<Outcome>) => {
      this.#callsDone += 1;
      this.#callMsTotal += data.ms;
      const { future } = this.#finish(worker);
      if ("value" in data) future.setResult(data.value);
      else {
        void this.#queue.rebuildError(data.error)
          .then((e) => future.setException(e));
      }
    };
    worker.onerror = (event) => {
      // The Worker itself failed (it could not start, or a stray error
      // escaped a call): drop it, and a new one is made if work waits.
      event.preventDefault();
      const [task, ...held] = this.#busy.get(worker) ?? [];
      this.#busy.delete(worker);
      const idle = this.#idle.indexOf(worker);
      if (idle >= 0) this.#idle.splice(idle, 1);
      worker.terminate();
      this.#queue.putBack(held);
      const error = new BrokenThreadPool(`a Worker died: ${event.message}`);
      task?.future.setException(error);
      // No Worker ever answered: the next would fail alike, as Python's
      // pool breaks when a thread's initializer fails.
      if (this.#callsDone === 0) this.#breakPool(error);
      else this.#dispatch();
    };
    return worker;
  }

  /** Fails every call given to the pool and not finished, and stops its Workers. */
  #breakPool(error: BrokenThreadPool): void {
    this.#broken = error;
    const held = [...this.#busy.values()].flat();
    for (const task of [...held, ...this.#queue.drain()]) {
      task.future.setException(error);
    }
    for (const worker of [...this.#idle.splice(0), ...this.#busy.keys()]) {
      worker.terminate();
    }
    this.#busy.clear();
  }

  #post(worker: Worker, task: WorkItem): void {
    const tasks = this.#busy.get(worker);
    if (tasks) tasks.push(task);
    else this.#busy.set(worker, [task]);
    this.#peakRunning = Math.max(this.#peakRunning, this.#busy.size);
    try {
      worker.postMessage({ name: task.name, args: task.args } satisfies Call);
    } catch (exc) { // arguments that cannot be cloned
      this.#busy.get(worker)!.pop();
      if (!this.#busy.get(worker)!.length) {
        this.#busy.delete(worker);
        this.#idle.push(worker);
      }
      task.future.setException(exc);
    }
  }

  /** Takes `worker`'s finished call off it (idle again if it holds no other), then dispatches. */
  #finish(worker: Worker): WorkItem {
    const tasks = this.#busy.get(worker)!;
    const task = tasks.shift()!;
    if (!tasks.length) {
      this.#busy.delete(worker);
      this.#idle.push(worker);
    }
    this.#dispatch();
    return task;
  }
}
