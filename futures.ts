/**
 * A small `concurrent.futures` for Deno, where Web Workers stand in for
 * threads: `ThreadPoolExecutor` with `submit`, `map` and `shutdown`, and
 * `asCompleted`, which yields futures in the order they settle.
 *
 * ```ts
 * await using executor = new ThreadPoolExecutor(30, import.meta.resolve("./flags2_sequential.ts"));
 * const future = executor.submit(downloadOne, "BR", baseUrl, false);
 * const status = await future.result();
 * ```
 *
 * @module
 */
import type { Call, ErrorFields, Message, Reply } from "./futures_worker.ts";

const WORKER_URL = new URL("./futures_worker.ts", import.meta.url);
/** What one more Worker costs: `new Worker()` blocks this thread ~30 ms. */
const WORKER_COST_MS = 30;

/** The error of a future cancelled before it ran, as Python's `CancelledError`. */
export class CancelledError extends Error {
  override name = "CancelledError";
}

/**
 * The eventual result of a call, as Python's `concurrent.futures.Future`.
 * Unlike a bare promise it is not awaited by `for await`, so `asCompleted`
 * can yield the very futures that were submitted.
 */
export class Future<T> {
  readonly #promise: Promise<T>;

  /** A future that settles as `promise` does; its error waits until asked for. */
  constructor(promise: PromiseLike<T>) {
    this.#promise = Promise.resolve(promise);
    this.#promise.catch(() => {});
  }

  /** The value, or the error, once the call is over. */
  result(): Promise<T> {
    return this.#promise;
  }
}

interface Task extends Call {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/**
 * Runs functions exported by one module on a pool of at most `maxWorkers`
 * Workers, one task per Worker at a time. Workers are costly, so one is
 * created only when a task waits, none is idle and tasks take longer than a
 * Worker's creation; one per turn of the event loop, so that replies are
 * handled while the pool grows. When tasks are that short, a Worker is also
 * handed its next task to hold, so it never waits for this thread between
 * two, as Python's threads take the next task from their queue themselves.
 */
export class ThreadPoolExecutor implements AsyncDisposable {
  readonly #maxWorkers: number;
  readonly #module: string;
  readonly #queue: Task[] = [];
  readonly #idle: Worker[] = [];
  /** The tasks posted to each busy Worker; the first one is running. */
  readonly #running = new Map<Worker, Task[]>();
  readonly #futures = new Set<Future<unknown>>();
  #workersCreated = 0;
  #tasksDone = 0;
  #taskMsTotal = 0;
  #growing = false;
  #shutdown = false;

  /** A pool of up to `maxWorkers` Workers that run the exports of `module` (a URL). */
  constructor(maxWorkers: number, module: string | URL) {
    if (!(maxWorkers >= 1)) throw new RangeError("maxWorkers must be >= 1");
    this.#maxWorkers = maxWorkers;
    this.#module = String(module);
  }

  /** How many Workers this pool has created so far. */
  get workersCreated(): number {
    return this.#workersCreated;
  }

  /** Schedules `fn(...args)` on a Worker; `fn` must be exported by the pool's module. */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    if (this.#shutdown) {
      throw new Error("cannot schedule new futures after shutdown");
    }
    if (!fn.name) {
      throw new TypeError("submit needs a named, exported function");
    }
    const { promise, resolve, reject } = Promise.withResolvers<Awaited<R>>();
    this.#queue.push({ name: fn.name, args, resolve, reject } as Task);
    const future = new Future(promise);
    this.#futures.add(future);
    promise.finally(() => this.#futures.delete(future)).catch(() => {});
    this.#dispatch();
    return future;
  }

  /** Yields `fn(item)` for each item in submission order, like `Executor.map`; all are submitted at once. */
  map<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T>,
  ): AsyncGenerator<Awaited<R>> {
    const futures = Array.from(iterable, (item) => this.submit(fn, item));
    return (async function* () {
      for (const future of futures) yield await future.result();
    })();
  }

  /** Waits for the submitted tasks (cancelling those not started, held ones too, if asked), then terminates every Worker. */
  async shutdown({ cancelFutures = false } = {}): Promise<void> {
    this.#shutdown = true;
    if (cancelFutures) {
      for (const task of this.#queue.splice(0)) task.reject(cancelled());
      for (const [worker, tasks] of this.#running) {
        if (tasks.length > 1) worker.postMessage("cancel" satisfies Message);
      }
    }
    await Promise.allSettled([...this.#futures].map((f) => f.result()));
    for (const worker of this.#idle.splice(0)) worker.terminate();
  }

  /** `await using executor = ...` shuts it down at the end of the block, like Python's `with`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #dispatch(): void {
    while (this.#queue.length && this.#idle.length) {
      this.#run(this.#idle.pop()!, this.#queue.shift()!);
    }
    if (this.#shortTasks()) { // each busy Worker also holds its next task
      for (const [worker, tasks] of this.#running) {
        if (!this.#queue.length) break;
        if (tasks.length === 1) this.#run(worker, this.#queue.shift()!);
      }
    }
    if (this.#growing || !this.#shouldGrow()) return;
    this.#growing = true;
    setTimeout(() => {
      this.#growing = false;
      if (this.#shouldGrow()) this.#idle.push(this.#newWorker());
      this.#dispatch();
    });
  }

  /** Whether a task waits, no Worker is idle, and one more would pay off. */
  #shouldGrow(): boolean {
    const size = this.#idle.length + this.#running.size;
    if (!this.#queue.length || this.#idle.length) return false;
    if (size >= this.#maxWorkers) return false;
    // While this thread is blocked creating a Worker, the others sit idle once
    // their task is done: tasks shorter than that are better left to them.
    return size === 0 || !this.#shortTasks();
  }

  /** Whether tasks take less time than a Worker costs, so far. */
  #shortTasks(): boolean {
    return this.#tasksDone > 0 &&
      this.#taskMsTotal / this.#tasksDone < WORKER_COST_MS;
  }

  #newWorker(): Worker {
    const worker = new Worker(WORKER_URL, {
      type: "module",
      name: this.#module,
    });
    this.#workersCreated += 1;
    worker.onmessage = ({ data }: MessageEvent<Reply>) => {
      if ("cancelled" in data) {
        const tasks = this.#running.get(worker) ?? [];
        const dropped = tasks.splice(tasks.length - data.cancelled);
        for (const task of dropped) task.reject(cancelled());
        return;
      }
      this.#tasksDone += 1;
      this.#taskMsTotal += data.ms;
      const task = this.#finish(worker);
      if ("error" in data) task.reject(rebuildError(data.error));
      else task.resolve(data.value);
    };
    worker.onerror = (event) => {
      // The Worker itself failed (its module did not load, or a stray error
      // escaped a task): drop it, and a new one is made if work waits.
      event.preventDefault();
      const [task, ...next] = this.#running.get(worker) ?? [];
      this.#running.delete(worker);
      const idle = this.#idle.indexOf(worker);
      if (idle >= 0) this.#idle.splice(idle, 1);
      worker.terminate();
      this.#queue.unshift(...next);
      task?.reject(new Error(event.message));
      this.#dispatch();
    };
    return worker;
  }

  #run(worker: Worker, task: Task): void {
    const tasks = this.#running.get(worker);
    if (tasks) tasks.push(task);
    else this.#running.set(worker, [task]);
    worker.postMessage(
      { name: task.name, args: task.args } satisfies Message,
    );
  }

  /** Takes `worker`'s finished task off it (idle again if it holds no other), then dispatches. */
  #finish(worker: Worker): Task {
    const tasks = this.#running.get(worker)!;
    const task = tasks.shift()!;
    if (!tasks.length) {
      this.#running.delete(worker);
      this.#idle.push(worker);
    }
    this.#dispatch();
    return task;
  }
}

/** The error of a task that never started. */
function cancelled(): CancelledError {
  return new CancelledError("cancelled before it started");
}

/** An `Error` with the name, message and fields that crossed from a Worker. */
function rebuildError(fields: ErrorFields): Error {
  return Object.assign(new Error(fields.message), fields);
}

/**
 * Yields the given futures as they settle, first settled first, like
 * `concurrent.futures.as_completed`. They may come from several executors;
 * a plain promise is wrapped in a `Future`.
 */
export function asCompleted<T>(
  fs: Iterable<Future<T> | Promise<T>>,
): AsyncIterableIterator<Future<T>> {
  const pending = new Set(
    Array.from(fs, (f) => f instanceof Future ? f : new Future(f)),
  );
  const done: Future<T>[] = [];
  let wake = () => {};
  for (const future of pending) {
    const settled = () => {
      done.push(future);
      wake();
    };
    future.result().then(settled, settled);
  }
  let left = pending.size;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (left === 0) return { done: true, value: undefined };
      while (!done.length) await new Promise<void>((r) => wake = r);
      left -= 1;
      return { done: false, value: done.shift()! };
    },
  };
}
