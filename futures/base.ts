/**
 * What every executor shares, as Python's `concurrent/futures/_base.py`:
 * `Future` with its states, the `Executor` base class with `map`,
 * `asCompleted`, `wait` and its three constants, and the errors.
 *
 * @module
 */
import Queue from "npm:yocto-queue@1.2.2";

/** The error of a future cancelled before it ran, as Python's `CancelledError`. */
export class CancelledError extends Error {
  static {
    this.prototype.name = "CancelledError";
  }
}

/** Thrown by `submit` after `shutdown`, where Python raises `RuntimeError`. */
export class ShutdownError extends Error {
  static {
    this.prototype.name = "ShutdownError";
  }
}

/** A pool that can run nothing more, as Python's `BrokenExecutor`. */
export class BrokenExecutor extends Error {
  static {
    this.prototype.name = "BrokenExecutor";
  }
}

/** A wait that ran out of time, as Python's `TimeoutError`. */
export class TimeoutError extends Error {
  static {
    this.prototype.name = "TimeoutError";
  }
}

/** The state of a `Future`, as Python names it. */
export type FutureState = "pending" | "running" | "cancelled" | "finished";

let futuresMade = 0;
/** Whether a future finished by throwing: for `wait`, as Python reads `_exception`. */
let raised: (future: Future<unknown>) => boolean;

/**
 * The eventual result of a call, as Python's `concurrent.futures.Future`:
 * pending, then running, then finished (or cancelled while pending).
 * Unlike a bare promise it is not awaited by `for await`, so `asCompleted`
 * can yield the very futures that were submitted.
 *
 * @example Wrapping a promise
 * ```ts
 * import assert from "node:assert/strict";
 * import { Future } from "./base.ts";
 * const future = new Future(Promise.resolve(42));
 * assert.equal(await future.result(), 42);
 * assert.match(Deno.inspect(future), /^<Future at 0x\d+ state=finished returned number>$/);
 * ```
 */
export class Future<T> {
  readonly #id = ++futuresMade;
  /**
   * Made when `result` is first asked for, as most futures of a pool are
   * only settled (untyped inside, so that a Future<string> is a
   * Future<unknown>).
   */
  #settled?: PromiseWithResolvers<unknown>;
  #callbacks?: (() => void)[];
  #state: FutureState = "pending";
  #outcome?: { value: T } | { error: unknown };

  /**
   * A pending future for an executor to run; given a promise, a running one
   * that finishes as the promise settles.
   *
   * @param promise what is already under way, if anything.
   */
  constructor(promise?: PromiseLike<T>) {
    if (!promise) return;
    this.#state = "running";
    promise.then((value) => this.setResult(value), (e) => this.setException(e));
  }

  /** Whether the call is under way. */
  running(): boolean {
    return this.#state === "running";
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state === "cancelled";
  }

  /** Whether the call finished or was cancelled. */
  done(): boolean {
    return this.#state === "cancelled" || this.#state === "finished";
  }

  /**
   * Cancels the call if it has not started: a pool starts a call as soon as
   * fewer than `maxWorkers` run, as Python starts a thread.
   *
   * @returns whether the future is now cancelled; false if it runs or ran.
   */
  cancel(): boolean {
    if (this.#state === "running" || this.#state === "finished") return false;
    if (this.#state === "pending") {
      this.#state = "cancelled";
      this.#settle({
        error: new CancelledError("cancelled before it started"),
      });
    }
    return true;
  }

  /**
   * The value of the call, once it is over.
   *
   * @param options `timeout`: the most seconds to wait, as in Python.
   * @returns a promise of the value.
   * @throws what the call threw, `CancelledError`, or `TimeoutError` once
   * `timeout` seconds have passed (by rejecting).
   */
  result({ timeout }: { timeout?: number } = {}): Promise<T> {
    return withTimeout(this.#promise() as Promise<T>, timeout);
  }

  /**
   * The error the call threw, once it is over.
   *
   * @param options `timeout`: the most seconds to wait, as in Python.
   * @returns a promise of the error, or of `undefined` if the call returned.
   * @throws `CancelledError` if the future was cancelled, `TimeoutError`
   * once `timeout` seconds have passed (by rejecting).
   */
  async exception(options: { timeout?: number } = {}): Promise<unknown> {
    try {
      await this.result(options);
      return undefined;
    } catch (exc) {
      if (this.cancelled() || !this.done()) throw exc;
      return exc;
    }
  }

  /**
   * Calls `fn(this)` when the future is done; at once if it is already. An
   * error that `fn` throws is logged, as Python logs it, and the other
   * callbacks still run.
   *
   * @param fn called with this future.
   */
  addDoneCallback(fn: (future: Future<T>) => void): void {
    const call = () => {
      try {
        fn(this);
      } catch (exc) {
        console.error(`exception calling callback for`, this, exc);
      }
    };
    if (this.done()) call();
    else (this.#callbacks ??= []).push(call);
  }

  /**
   * For executors: marks the future running, unless it was cancelled.
   *
   * @returns false if the future was cancelled, and so must not run.
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === "cancelled") return false;
    this.#state = "running";
    return true;
  }

  /**
   * For executors: the call returned `value`.
   *
   * @param value what the call returned.
   */
  setResult(value: T): void {
    this.#finish({ value });
  }

  /**
   * For executors: the call threw `error`.
   *
   * @param error what the call threw.
   */
  setException(error: unknown): void {
    this.#finish({ error });
  }

  /** `<Future at 0x1 state=finished returned string>`, as Python's repr. */
  [Symbol.for("Deno.customInspect")](): string {
    let state = this.#state as string;
    if (this.#outcome && this.#state === "finished") {
      state += "error" in this.#outcome
        ? ` raised ${typeName(this.#outcome.error)}`
        : ` returned ${typeName(this.#outcome.value)}`;
    }
    return `<Future at 0x${this.#id.toString(16)} state=${state}>`;
  }

  static {
    raised = (future) =>
      !!future.#outcome && "error" in future.#outcome &&
      future.#state === "finished";
  }

  #finish(outcome: { value: T } | { error: unknown }): void {
    if (this.done()) return; // cancelled first, or already finished
    this.#state = "finished";
    this.#settle(outcome);
  }

  #settle(outcome: { value: T } | { error: unknown }): void {
    this.#outcome = outcome;
    if (this.#settled) this.#fulfil(this.#settled, outcome);
    const callbacks = this.#callbacks ?? [];
    this.#callbacks = undefined;
    for (const fn of callbacks) fn();
  }

  /** The promise that `result` waits on, settled already if the future is. */
  #promise(): Promise<unknown> {
    if (!this.#settled) {
      this.#settled = Promise.withResolvers();
      if (this.#outcome) this.#fulfil(this.#settled, this.#outcome);
    }
    return this.#settled.promise;
  }

  #fulfil(
    settled: PromiseWithResolvers<unknown>,
    outcome: { value: T } | { error: unknown },
  ): void {
    if ("error" in outcome) settled.reject(outcome.error);
    else settled.resolve(outcome.value);
  }
}

/** Python's `type(x).__name__` in JavaScript: `string`, `Uint8Array`, `HTTPStatusError`... */
function typeName(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value;
  if (value instanceof Error) return value.name;
  return value.constructor?.name ?? "Object";
}

/**
 * What both pools share, as Python's `Executor`: `map` in terms of `submit`,
 * and `await using` in terms of `shutdown`.
 */
export abstract class Executor implements AsyncDisposable {
  /**
   * Schedules `fn(...args)`; `fn` must be exported by the pool's module.
   *
   * @param fn a named function that the pool's module exports.
   * @param args its arguments, which must survive structured cloning.
   * @returns the future of the call.
   * @throws {ShutdownError} after `shutdown`.
   */
  abstract submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>>;

  /**
   * Takes no more calls; the workers stop once the queued calls are done.
   *
   * @param options `wait` (true): settle once every call is over and every
   * worker has stopped; `cancelFutures` (false): cancel the calls no worker
   * has taken.
   */
  abstract shutdown(options?: ShutdownOptions): Promise<void>;

  /**
   * `fn` over the iterables zipped (the shortest ends the calls), as
   * Python 3.14's `Executor.map`: the calls are submitted at once, or with
   * `buffersize` that many ahead of the results yielded.
   *
   * @example Two iterables (the shortest ends the map), a timeout, a buffer
   * ```ts
   * import assert from "node:assert/strict";
   * import { ThreadPoolExecutor } from "../futures.ts";
   * import { sleep } from "./example_tasks.ts";
   *
   * const tasks = import.meta.resolve("./example_tasks.ts");
   * await using executor = new ThreadPoolExecutor(2, tasks);
   * const values = ["a", "b", "c"];
   * const options = { timeout: 60, buffersize: 2 };
   * const results = [];
   * for await (const v of executor.map(sleep, [30, 10], values, options)) {
   *   results.push(v);
   * }
   * assert.deepEqual(results, ["a", "b"]); // in order, the slow first
   * ```
   *
   * @param fn a named function that the pool's module exports.
   * @param iterables one per argument of `fn`, then optionally the options:
   * `timeout`, seconds from this call after which the next result not yet
   * there throws `TimeoutError`; `buffersize`, the most calls submitted and
   * not yet yielded (plus the one awaited).
   * @returns the results in the order of the arguments; leaving the loop
   * early, or an error, cancels the calls that have not started.
   * @throws {RangeError} if `buffersize` is not a whole number above 0.
   */
  map<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...iterables: Iterables<A>
  ): AsyncGenerator<Awaited<R>>;
  /**
   * `map` with its options last: `timeout`, `buffersize`.
   *
   * @param fn a named function that the pool's module exports.
   * @param iterablesAndOptions one iterable per argument of `fn`, then the
   * options.
   * @returns the results in the order of the arguments.
   */
  map<R>(
    fn: (...args: never[]) => R,
    ...iterablesAndOptions: [...Iterable<unknown>[], MapOptions]
  ): AsyncGenerator<Awaited<R>>;
  map<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...iterables: Iterables<A> | [...Iterable<unknown>[], MapOptions]
  ): AsyncGenerator<Awaited<R>> {
    const last = iterables.at(-1);
    const options: MapOptions = isMapOptions(last) ? last : {};
    const sources = isMapOptions(last) ? iterables.slice(0, -1) : iterables;
    const { timeout, buffersize } = options;
    if (
      buffersize !== undefined &&
      !(Number.isInteger(buffersize) && buffersize > 0)
    ) {
      throw new RangeError("buffersize must be undefined or an integer > 0");
    }
    const deadline = deadlineOf(timeout);
    const zipped = zip(sources as Iterable<unknown>[]) as Iterator<A>;
    const futures = new Queue<Future<Awaited<R>>>();
    for (let row; futures.size < (buffersize ?? Infinity);) {
      if ((row = zipped.next()).done) break;
      futures.enqueue(this.submit(fn, ...row.value));
    }
    const submit = (args: A) => this.submit(fn, ...args);
    return (async function* () {
      try {
        while (futures.size) {
          const row = buffersize ? zipped.next() : { done: true as const };
          if (!row.done) futures.enqueue(submit(row.value));
          const future = futures.dequeue()!;
          try {
            yield await future.result({ timeout: secondsLeft(deadline) });
          } finally {
            future.cancel();
          }
        }
      } finally {
        for (const future of futures) future.cancel();
      }
    })();
  }

  /** `await using executor = ...` shuts it down at the end of the block, like Python's `with`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

/** The options of `shutdown`, as Python's arguments. */
export interface ShutdownOptions {
  /** Whether to wait for the calls and the workers: true by default. */
  wait?: boolean;
  /** Whether to cancel the calls no worker has taken: false by default. */
  cancelFutures?: boolean;
}

/** The options of `map`, as Python 3.14's keyword arguments (no `chunksize`). */
export interface MapOptions {
  /** Seconds from the call to `map` after which a result not yet there throws `TimeoutError`. */
  timeout?: number;
  /** The most calls submitted and not yet yielded. */
  buffersize?: number;
}

/** One iterable per argument of a function that takes `A`. */
export type Iterables<A extends unknown[]> = { [K in keyof A]: Iterable<A[K]> };

function isMapOptions(value: unknown): value is MapOptions {
  return typeof value === "object" && value !== null &&
    !(Symbol.iterator in value);
}

/** Python's `zip`: rows of one item of each iterable, until the shortest ends. */
function* zip(iterables: Iterable<unknown>[]): Generator<unknown[]> {
  const iterators = iterables.map((iterable) => iterable[Symbol.iterator]());
  while (true) {
    const row = [];
    for (const iterator of iterators) {
      const next = iterator.next();
      if (next.done) return;
      row.push(next.value);
    }
    yield row;
  }
}

/** When `timeout` seconds from now will have passed, on `performance.now()`'s clock. */
function deadlineOf(timeout?: number): number | undefined {
  return timeout === undefined ? undefined : performance.now() + timeout * 1000;
}

/** The seconds until `deadline`, at least 0. */
function secondsLeft(deadline?: number): number | undefined {
  if (deadline === undefined) return undefined;
  return Math.max(0, deadline - performance.now()) / 1000;
}

/** `promise`, or a `TimeoutError` after `timeout` seconds; no timer is left behind. */
function withTimeout<T>(
  promise: Promise<T>,
  timeout?: number,
  message = "timed out",
): Promise<T> {
  if (timeout === undefined) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(message)),
      Math.max(0, timeout * 1000),
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The futures of `fs`, each once, a promise wrapped in a running `Future`. */
function futuresOf<T>(fs: Iterable<Future<T> | PromiseLike<T>>): Future<T>[] {
  const unique = new Set(fs);
  return Array.from(unique, (f) => f instanceof Future ? f : new Future(f));
}

/**
 * Yields the given futures as they finish, first finished first, like
 * `concurrent.futures.as_completed`. They may come from several executors;
 * a plain promise is wrapped in a running `Future`; one given twice is
 * yielded once.
 *
 * @example Futures and promises in one loop
 * ```ts
 * import assert from "node:assert/strict";
 * import { asCompleted } from "./base.ts";
 * const slow = new Promise((resolve) => setTimeout(resolve, 20, "slow"));
 * const results = [];
 * for await (const future of asCompleted([slow, Promise.resolve("fast")])) {
 *   results.push(await future.result());
 * }
 * assert.deepEqual(results, ["fast", "slow"]);
 * ```
 *
 * @param fs futures, or promises.
 * @param options `timeout`: seconds from this call, after which the loop
 * throws `TimeoutError` instead of waiting for the next future.
 * @returns an async iterator of the same futures (promises wrapped).
 */
export function asCompleted<T>(
  fs: Iterable<Future<T> | PromiseLike<T>>,
  { timeout }: { timeout?: number } = {},
): AsyncGenerator<Future<T>, void, undefined> {
  const deadline = deadlineOf(timeout);
  const futures = futuresOf(fs);
  const done = new Queue<Future<T>>();
  let wake = () => {};
  for (const future of futures) {
    future.addDoneCallback(() => {
      done.enqueue(future);
      wake();
    });
  }
  return (async function* () {
    for (let left = futures.length; left > 0; left--) {
      while (!done.size) {
        const woken = new Promise<void>((resolve) => wake = resolve);
        const unfinished = `${left} (of ${futures.length}) futures unfinished`;
        await withTimeout(woken, secondsLeft(deadline), unfinished);
      }
      yield done.dequeue()!;
    }
  })();
}

/** `wait` returns when any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait` returns when any future finishes by throwing, or all are done. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait` returns when all futures are done. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When `wait` returns. */
export type ReturnWhen =
  | typeof FIRST_COMPLETED
  | typeof FIRST_EXCEPTION
  | typeof ALL_COMPLETED;

/**
 * Waits for the futures, as `concurrent.futures.wait`: until all are done,
 * the first is, or the first throws, as `returnWhen` says, or `timeout`
 * seconds have passed.
 *
 * @example The first of two
 * ```ts
 * import assert from "node:assert/strict";
 * import { FIRST_COMPLETED, wait } from "./base.ts";
 * const slow = new Promise((resolve) => setTimeout(resolve, 50, "slow"));
 * const { done, notDone } = await wait([slow, Promise.resolve("fast")], {
 *   returnWhen: FIRST_COMPLETED,
 * });
 * assert.equal(await [...done][0].result(), "fast");
 * assert.equal(notDone.size, 1);
 * await slow;
 * ```
 *
 * @param fs futures, or promises (each wrapped in a running `Future`).
 * @param options `timeout` in seconds (no limit by default); `returnWhen`,
 * `ALL_COMPLETED` by default.
 * @returns the futures that are done, and those that are not; a timeout
 * does not throw.
 */
export async function wait<T>(
  fs: Iterable<Future<T> | PromiseLike<T>>,
  { timeout, returnWhen = ALL_COMPLETED }: {
    timeout?: number;
    returnWhen?: ReturnWhen;
  } = {},
): Promise<{ done: Set<Future<T>>; notDone: Set<Future<T>> }> {
  const futures = futuresOf(fs);
  const enough = Promise.withResolvers<void>();
  let left = futures.length;
  if (!left) enough.resolve();
  for (const future of futures) {
    future.addDoneCallback(() => {
      left -= 1;
      if (
        !left || returnWhen === FIRST_COMPLETED ||
        (returnWhen === FIRST_EXCEPTION && raised(future))
      ) enough.resolve();
    });
  }
  await withTimeout(enough.promise, timeout).catch((exc) => {
    if (!(exc instanceof TimeoutError)) throw exc;
  });
  return {
    done: new Set(futures.filter((f) => f.done())),
    notDone: new Set(futures.filter((f) => !f.done())),
  };
}
