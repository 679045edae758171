/**
 * What every executor shares, as Python's `concurrent/futures/_base.py`:
 * `Future` with its states, the `Executor` base class with `map`,
 * `asCompleted`, the errors, and how an error crosses to another thread or
 * process with its class and fields.
 *
 * @module
 */
import type { Call, ErrorFields } from "./call.ts";

/** The error of a future cancelled before it ran, as Python's `CancelledError`. */
export class CancelledError extends Error {
  /** Shown in stack traces, and how the class is found again across threads. */
  override name = "CancelledError";
}

/** Thrown by `submit` after `shutdown`, where Python raises `RuntimeError`. */
export class ShutdownError extends Error {
  /** Shown in stack traces, and how the class is found again across threads. */
  override name = "ShutdownError";
}

/** A pool that can run nothing more, as Python's `BrokenExecutor`. */
export class BrokenExecutor extends Error {
  /** Shown in stack traces, and how the class is found again across threads. */
  override name = "BrokenExecutor";
}

/** The state of a `Future`, as Python names it. */
export type FutureState = "pending" | "running" | "cancelled" | "finished";

let futuresMade = 0;

/**
 * The eventual result of a call, as Python's `concurrent.futures.Future`:
 * pending, then running, then finished (or cancelled while pending).
 * Unlike a bare promise it is not awaited by `for await`, so `asCompleted`
 * can yield the very futures that were submitted.
 *
 * @example Wrapping a promise
 * ```ts
 * import { Future } from "./base.ts";
 * const future = new Future(Promise.resolve(42));
 * console.log(await future.result()); // 42
 * console.log(future); // <Future at 0x1 state=finished returned number>
 * ```
 */
export class Future<T> {
  readonly #id = ++futuresMade;
  // Untyped inside, so that a Future<string> is a Future<unknown>.
  readonly #settled = Promise.withResolvers<unknown>();
  readonly #callbacks: (() => void)[] = [];
  #state: FutureState = "pending";
  #outcome?: { value: T } | { error: unknown };

  /**
   * A pending future for an executor to run; given a promise, a running one
   * that finishes as the promise settles.
   *
   * @param promise what is already under way, if anything.
   */
  constructor(promise?: PromiseLike<T>) {
    this.#settled.promise.catch(() => {}); // its error waits until asked for
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
   * Cancels the call if it has not started.
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
   * @returns a promise of the value.
   * @throws what the call threw, or `CancelledError` (by rejecting).
   */
  result(): Promise<T> {
    return this.#settled.promise as Promise<T>;
  }

  /**
   * The error the call threw, once it is over.
   *
   * @returns a promise of the error, or of `undefined` if the call returned.
   * @throws `CancelledError` if the future was cancelled (by rejecting).
   */
  async exception(): Promise<unknown> {
    try {
      await this.#settled.promise;
      return undefined;
    } catch (exc) {
      if (this.cancelled()) throw exc;
      return exc;
    }
  }

  /**
   * Calls `fn(this)` when the future is done; at once if it is already.
   *
   * @param fn called with this future.
   */
  addDoneCallback(fn: (future: Future<T>) => void): void {
    if (this.done()) fn(this);
    else this.#callbacks.push(() => fn(this));
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

  #finish(outcome: { value: T } | { error: unknown }): void {
    if (this.done()) return; // cancelled first, or already finished
    this.#state = "finished";
    this.#settle(outcome);
  }

  #settle(outcome: { value: T } | { error: unknown }): void {
    this.#outcome = outcome;
    if ("error" in outcome) this.#settled.reject(outcome.error);
    else this.#settled.resolve(outcome.value);
    for (const fn of this.#callbacks.splice(0)) fn();
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
   * Waits for the submitted calls, then stops the pool.
   *
   * @param options `cancelFutures`: cancel the calls that have not started.
   */
  abstract shutdown(options?: { cancelFutures?: boolean }): Promise<void>;

  /**
   * Submits `fn(item)` for every item at once, like `Executor.map`.
   *
   * @param fn a named function that the pool's module exports.
   * @param iterable the items, one call each.
   * @returns the results in the order of the items; leaving the loop early
   * cancels the calls that have not started.
   */
  map<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T>,
  ): AsyncGenerator<Awaited<R>> {
    const futures = Array.from(iterable, (item) => this.submit(fn, item));
    return (async function* () {
      try {
        for (const future of futures) yield await future.result();
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

/** A call waiting for a worker of a pool, with its future, as Python's `_WorkItem`. */
export interface WorkItem extends Call {
  /** The future of the call. */
  future: Future<unknown>;
}

/**
 * The calls given to a pool and not yet taken by one of its workers, as
 * Python's `work_queue`, with what both pools do with them: make their
 * futures, skip the cancelled ones, wait for all, and rebuild their errors.
 */
export class WorkQueue {
  readonly #module: string;
  readonly #items: WorkItem[] = [];
  readonly #unfinished = new Set<Future<unknown>>();
  #exports?: Promise<Record<string, unknown>>;
  #closed = false;

  /**
   * The queue of a pool that runs the exports of `module`.
   *
   * @param module the URL of the module whose exported functions run.
   */
  constructor(module: string) {
    this.#module = module;
  }

  /** How many calls wait, cancelled ones included. */
  get length(): number {
    return this.#items.length;
  }

  /** Whether the pool was shut down. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `fn(...args)`.
   *
   * @param fn a named function that the pool's module exports.
   * @param args its arguments.
   * @returns the future of the call.
   * @throws {ShutdownError} after `join`.
   * @throws {TypeError} if `fn` has no name.
   */
  put<A extends unknown[], R>(
    fn: (...args: A) => R,
    args: A,
  ): Future<Awaited<R>> {
    if (this.#closed) {
      throw new ShutdownError("cannot schedule new futures after shutdown");
    }
    if (!fn.name) {
      throw new TypeError("submit needs a named, exported function");
    }
    const future = new Future<Awaited<R>>();
    const item: WorkItem = {
      future: future as Future<unknown>,
      name: fn.name,
      args,
    };
    this.#items.push(item);
    this.#unfinished.add(item.future);
    future.addDoneCallback(() => this.#unfinished.delete(item.future));
    return future;
  }

  /**
   * The next call that was not cancelled, now marked running.
   *
   * @returns the call, or `undefined` if none waits.
   */
  take(): WorkItem | undefined {
    while (this.#items.length) {
      const item = this.#items.shift()!;
      if (item.future.setRunningOrNotifyCancel()) return item;
    }
  }

  /**
   * Puts calls back at the head of the queue, for another worker to run.
   *
   * @param items calls a worker took and did not run.
   */
  putBack(items: WorkItem[]): void {
    this.#items.unshift(...items);
  }

  /**
   * Empties the queue.
   *
   * @returns the calls that waited.
   */
  drain(): WorkItem[] {
    return this.#items.splice(0);
  }

  /**
   * Takes no more calls, cancels the waiting ones if asked, then waits for
   * every call to finish.
   *
   * @param options `cancelFutures`: cancel the calls no worker has taken.
   */
  async join({ cancelFutures = false } = {}): Promise<void> {
    this.#closed = true;
    if (cancelFutures) {
      for (const item of this.drain()) {
        item.future.cancel();
      }
    }
    await Promise.allSettled([...this.#unfinished].map((f) => f.result()));
  }

  /**
   * The error of a call, of its class again when the pool's module exports it.
   *
   * @param fields what `errorFields` kept of it in the worker.
   * @returns the error.
   */
  async rebuildError(fields: ErrorFields): Promise<Error> {
    this.#exports ??= import(this.#module).catch(() => ({}));
    return rebuildError(fields, await this.#exports);
  }
}

/**
 * Yields the given futures as they finish, first finished first, like
 * `concurrent.futures.as_completed`. They may come from several executors;
 * a plain promise is wrapped in a running `Future`.
 *
 * @example Futures and promises in one loop
 * ```ts
 * import { asCompleted, Future } from "./base.ts";
 * const slow = new Promise((resolve) => setTimeout(resolve, 20, "slow"));
 * for await (const future of asCompleted([slow, Promise.resolve("fast")])) {
 *   console.log(await future.result()); // fast, then slow
 * }
 * ```
 *
 * @param fs futures, or promises.
 * @returns an async iterator of the same futures (promises wrapped).
 */
export async function* asCompleted<T>(
  fs: Iterable<Future<T> | PromiseLike<T>>,
): AsyncGenerator<Future<T>, void, undefined> {
  const futures = Array.from(
    fs,
    (f) => f instanceof Future ? f : new Future(f),
  );
  const done: Future<T>[] = [];
  let wake = () => {};
  for (const future of futures) {
    future.addDoneCallback(() => {
      done.push(future);
      wake();
    });
  }
  for (let left = futures.length; left > 0; left--) {
    while (!done.length) await new Promise<void>((r) => wake = r);
    yield done.shift()!;
  }
}

/**
 * The error again, of the class `exports` (the pool's module) or the
 * platform has under its name, with its fields; an `Error` otherwise.
 *
 * @param fields what `errorFields` kept.
 * @param exports the exports of the module the call ran in.
 * @returns an error that `instanceof` recognises.
 */
export function rebuildError(
  fields: ErrorFields,
  exports: Record<string, unknown>,
): Error {
  const { name, message, stack, cause, ...own } = fields;
  const error = newError(name, message, exports);
  // A class field `name = "..."` is an own property, not the prototype's.
  if (error.name !== name) Object.assign(error, { name });
  Object.defineProperty(error, "stack", { value: stack, configurable: true });
  if (cause) {
    Object.defineProperty(error, "cause", {
      value: rebuildError(cause, exports),
      configurable: true,
    });
  }
  return Object.assign(error, own);
}

/** An empty error of the class named `name`: the module's, the platform's, or a `DOMException`. */
function newError(
  name: string,
  message: string,
  exports: Record<string, unknown>,
): Error {
  const cls = [
    exports[name],
    (globalThis as Record<string, unknown>)[name],
    (Deno.errors as Record<string, unknown>)[name], // NotCapable, NotFound...
  ].find(isErrorClass);
  if (cls) {
    // Constructors differ; the fields that crossed are set after.
    const error: Error = Object.create(cls.prototype);
    return Object.defineProperty(error, "message", {
      value: message,
      writable: true,
      configurable: true,
    });
  }
  // AbortSignal.timeout rejects with DOMException "TimeoutError".
  if (DOM_EXCEPTION_NAMES.has(name)) return new DOMException(message, name);
  return Object.assign(new Error(message), { name });
}

const DOM_EXCEPTION_NAMES = new Set(["AbortError", "TimeoutError"]);

function isErrorClass(value: unknown): value is ErrorConstructor {
  return typeof value === "function" &&
    (value === Error || value.prototype instanceof Error);
}
