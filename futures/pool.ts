/**
 * The core of both pools, the part of Python's `thread.py` and `process.py`
 * that is the same in each: the work queue, which workers are idle and which
 * are busy, the initializer, the counters, `submit`, `shutdown`, and breaking
 * the pool. A pool class says only how one of its workers starts, is sent a
 * call, and stops (a `WorkerLink`).
 *
 * @module
 */
import {
  BrokenExecutor,
  Executor,
  Future,
  ShutdownError,
  type ShutdownOptions,
} from "./base.ts";
import {
  type Call,
  type ErrorFields,
  type Outcome,
  rebuildError,
} from "./call.ts";

/**
 * The one tuning of the core, the counterpart of CPython's
 * `EXTRA_QUEUED_CALLS`. Once calls have taken less than this many
 * milliseconds on average (over `SAMPLES` calls at least), each busy worker
 * is also sent its next call, so that it never waits a message round trip
 * for this thread; and the pool stops growing, since a new worker would
 * cost more than such a call (a `new Worker()` blocks this thread that
 * long). A call so held counts as running: `running()` is true and
 * `cancel()` returns false, as for the calls in CPython's call queue.
 */
export const SHORT_CALL_MS = 30;
/** Calls timed before they are judged short: one may be an outlier (a `loiter(0)`). */
const SAMPLES = 3;

/** A call waiting for a worker, with its future, as Python's `_WorkItem`. */
interface WorkItem extends Call {
  future: Future<unknown>;
}

/** How the core drives one worker of a pool, whatever it runs on. */
export interface WorkerLink {
  /**
   * Sends a call, which the worker runs after those it was sent before.
   * @throws {DOMException} "DataCloneError" if the arguments cannot cross.
   */
  send(call: Call): void;
  /** Stops the worker, which holds no call. */
  stop(): void;
  /** Ends the worker at once; `signal` for a process (SIGTERM by default). */
  kill(signal?: EndSignal): void;
  /** Settles once the worker has stopped. */
  readonly exited: Promise<void>;
}

/** The signals that end a child process. */
export type EndSignal = "SIGTERM" | "SIGKILL";

/** What a worker tells the core. */
export interface WorkerEvents {
  /** A call ended. */
  reply(outcome: Outcome): void;
  /** The worker ended unasked, or could not start; `how` says why. */
  died(how: string): void;
}

/** The options both pools take, as Python's keyword arguments. */
export interface PoolOptions {
  /** A function the module exports, run once in each worker before its first call; if it throws, the pool breaks. */
  initializer?: (...args: never[]) => unknown;
  /** Its arguments, which must survive structured cloning. */
  initargs?: unknown[];
  /**
   * Error classes the calls may throw that the module does not export:
   * their errors are rebuilt as instances of them (found by class name).
   */
  errorClasses?: (new (...args: never[]) => Error)[];
}

/** One worker and the calls it was sent, the first one running. */
interface Slot {
  link: WorkerLink;
  held: WorkItem[];
  sent: number;
}

/**
 * The pool both executors are: it runs functions exported by one module on
 * at most `maxWorkers` workers, one call per worker at a time, starting
 * workers as calls wait (one per turn of the event loop).
 */
export abstract class WorkerPool extends Executor {
  readonly #maxWorkers: number;
  /** The URL of the module whose exported functions run. */
  protected readonly module: string;
  readonly #init?: Call;
  readonly #maxCalls: number;
  readonly #errorClasses: Record<string, unknown>;
  #classes?: Promise<Record<string, unknown>>;
  readonly #queue: WorkItem[] = [];
  readonly #unfinished = new Set<Future<unknown>>();
  readonly #idle: Slot[] = [];
  readonly #busy = new Set<Slot>();
  /** The workers not stopped, idle or busy. */
  readonly #live = new Set<Slot>();
  readonly #exits = new Set<Promise<void>>();
  #workersCreated = 0;
  #peakRunning = 0;
  #callsDone = 0;
  #callMsTotal = 0;
  #growing?: ReturnType<typeof setTimeout>;
  #closed = false;
  #broken?: BrokenExecutor;

  /**
   * A pool of `maxWorkers` workers at most, on `module`.
   *
   * @param maxWorkers the most workers; a whole number, 1 or more.
   * @param module the URL of the module whose exported functions run.
   * @param options the initializer, its arguments, error classes.
   * @param maxCalls the most calls a worker runs before it is replaced.
   * @throws {RangeError} if `maxWorkers` is less than 1.
   * @throws {TypeError} if the initializer has no name.
   */
  constructor(
    maxWorkers: number,
    module: string | URL,
    { initializer, initargs = [], errorClasses = [] }: PoolOptions = {},
    maxCalls = Infinity,
  ) {
    super();
    if (!(maxWorkers >= 1)) {
      throw new RangeError("maxWorkers must be greater than 0");
    }
    this.#maxWorkers = maxWorkers;
    this.module = String(module);
    if (initializer) {
      this.#init = { name: exportedName(initializer), args: initargs };
    }
    this.#maxCalls = maxCalls;
    this.#errorClasses = Object.fromEntries(
      errorClasses.map((cls) => [cls.name, cls]),
    );
  }

  /** The most workers the pool starts, as Python's `_max_workers`. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** How many workers this pool has started so far. */
  get workersCreated(): number {
    return this.#workersCreated;
  }

  /** The most calls that ran at once, each on its own worker. */
  get peakRunning(): number {
    return this.#peakRunning;
  }

  /** Starts a worker on `module`, which tells `events` what happens to it. */
  protected abstract startWorker(events: WorkerEvents): WorkerLink;

  /** The pool's own `BrokenExecutor`, with `message`. */
  protected abstract brokenError(
    message: string,
    options?: ErrorOptions,
  ): BrokenExecutor;

  /** Whether a worker that dies unasked breaks the pool, or only fails its call. */
  protected abstract readonly deathBreaksPool: boolean;

  /**
   * Schedules `fn(...args)` on a worker.
   *
   * @param fn a named function that the pool's module exports.
   * @param args its arguments, which must survive structured cloning.
   * @returns the future of the call.
   * @throws {ShutdownError} after `shutdown`.
   * @throws {BrokenExecutor} once the pool is broken (its own subclass).
   * @throws {TypeError} if `fn` has no name.
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    if (this.#broken) throw this.#broken;
    if (this.#closed) {
      throw new ShutdownError("cannot schedule new futures after shutdown");
    }
    const future = new Future<Awaited<R>>();
    const item = { future, name: exportedName(fn), args } as WorkItem;
    this.#queue.push(item);
    this.#unfinished.add(item.future);
    future.addDoneCallback(() => this.#unfinished.delete(item.future));
    this.#dispatch();
    return future;
  }

  /**
   * Takes no more calls; each worker stops once no queued call is left for
   * it (those a worker has taken finish first).
   *
   * @param options `wait` (true): settle once every call is over and every
   * worker has stopped; `cancelFutures` (false): cancel the calls no worker
   * has taken.
   */
  async shutdown(
    { wait = true, cancelFutures = false }: ShutdownOptions = {},
  ): Promise<void> {
    this.#closed = true;
    if (cancelFutures) {
      for (const item of this.#queue.splice(0)) item.future.cancel();
    }
    this.#dispatch();
    if (!wait) return;
    await Promise.allSettled([...this.#unfinished].map((f) => f.result()));
    await Promise.all(this.#exits);
  }

  /**
   * Shuts the pool down, cancels the queued calls, and ends every worker at
   * once: the calls they ran fail with the pool's `BrokenExecutor`.
   *
   * @param signal for a process, the signal that ends it.
   * @param why names the method, for the error.
   */
  protected async endWorkers(signal: EndSignal, why: string): Promise<void> {
    void this.shutdown({ wait: false, cancelFutures: true });
    this.#breakPool(
      this.brokenError(`${why}: the pool is not usable anymore`),
      signal,
    );
    await Promise.all(this.#exits);
  }

  /** Python's core: idle workers take queued calls, busy ones may hold one more, then the pool adjusts its size. */
  #dispatch(): void {
    if (this.#broken) return;
    this.#startQueued();
    if (this.#shortCalls()) this.#holdNext();
    this.#adjustWorkerCount();
    if (this.#closed && !this.#queue.length) {
      clearTimeout(this.#growing);
      for (const slot of this.#idle.splice(0)) this.#stop(slot);
    }
  }

  #startQueued(): void {
    while (this.#idle.length) {
      const item = this.#take();
      if (!item) return;
      this.#post(this.#idle.pop()!, item);
    }
  }

  /** See `SHORT_CALL_MS`. */
  #holdNext(): void {
    for (const slot of this.#busy) {
      if (slot.held.length > 1 || slot.sent >= this.#maxCalls) continue;
      const item = this.#take();
      if (!item) return;
      this.#post(slot, item);
    }
  }

  /** The next queued call that was not cancelled, now marked running. */
  #take(): WorkItem | undefined {
    while (this.#queue.length) {
      const item = this.#queue.shift()!;
      if (item.future.setRunningOrNotifyCancel()) return item;
    }
  }

  /** Adds a worker when one would pay off: at once for the first, then one per turn of the event loop, so replies are handled while the pool grows. */
  #adjustWorkerCount(): void {
    if (this.#growing !== undefined || !this.#shouldGrow()) return;
    if (this.#live.size === 0) {
      this.#newWorker();
      return this.#startQueued();
    }
    this.#growing = setTimeout(() => {
      this.#growing = undefined;
      if (this.#shouldGrow()) this.#newWorker();
      this.#dispatch();
    });
  }

  /** Whether a call waits, no worker is idle, and one more worker would pay off. */
  #shouldGrow(): boolean {
    if (!this.#queue.length || this.#idle.length || this.#broken) return false;
    const size = this.#live.size;
    if (size >= this.#maxWorkers) return false;
    return size === 0 || !this.#shortCalls();
  }

  /** Whether calls take less time than `SHORT_CALL_MS`, so far. */
  #shortCalls(): boolean {
    return this.#callsDone >= SAMPLES &&
      this.#callMsTotal / this.#callsDone < SHORT_CALL_MS;
  }

  #newWorker(): void {
    const slot: Slot = {
      held: [],
      sent: 0,
      link: this.startWorker({
        reply: (outcome) => this.#reply(slot, outcome),
        died: (how) => this.#died(slot, how),
      }),
    };
    this.#workersCreated += 1;
    this.#live.add(slot);
    const exit = slot.link.exited.then(() => void this.#exits.delete(exit));
    this.#exits.add(exit);
    this.#idle.push(slot);
    if (this.#init) {
      try {
        slot.link.send({ ...this.#init, init: true });
      } catch (exc) { // initargs that cannot be cloned
        this.#breakPool(this.#initializerFailed(exc));
      }
    }
  }

  #post(slot: Slot, item: WorkItem): void {
    slot.held.push(item);
    slot.sent += 1;
    this.#busy.add(slot);
    this.#peakRunning = Math.max(this.#peakRunning, this.#busy.size);
    try {
      slot.link.send({ name: item.name, args: item.args });
    } catch (exc) { // arguments that cannot be cloned
      slot.held.pop();
      slot.sent -= 1;
      if (!slot.held.length) this.#idleAgain(slot);
      item.future.setException(exc);
    }
  }

  #reply(slot: Slot, outcome: Outcome): void {
    if (outcome.init) {
      const fields = (outcome as { error: ErrorFields }).error;
      return void this.#rebuild(fields).then((exc) =>
        this.#breakPool(this.#initializerFailed(exc))
      );
    }
    this.#callsDone += 1;
    this.#callMsTotal += outcome.ms;
    const { future } = slot.held.shift()!;
    if (!slot.held.length) this.#idleAgain(slot);
    this.#dispatch();
    if ("value" in outcome) future.setResult(outcome.value);
    else {
      void this.#rebuild(outcome.error).then((e) => future.setException(e));
    }
  }

  /** A worker that holds no call is idle, or stops if it has run its most calls. */
  #idleAgain(slot: Slot): void {
    this.#busy.delete(slot);
    if (slot.sent >= this.#maxCalls) this.#stop(slot);
    else this.#idle.push(slot);
  }

  #stop(slot: Slot): void {
    this.#live.delete(slot);
    slot.link.stop();
  }

  /** A worker ended unasked: its calls fail; the pool breaks if deaths do, or no worker ever answered (the next would fail alike). */
  #died(slot: Slot, how: string): void {
    if (!this.#live.delete(slot)) return; // stopped or killed by the pool
    this.#busy.delete(slot);
    const idle = this.#idle.indexOf(slot);
    if (idle >= 0) this.#idle.splice(idle, 1);
    slot.link.kill();
    const [item, ...held] = slot.held;
    const during = item ? ` while it ran ${item.name}()` : "";
    if (this.deathBreaksPool || this.#callsDone === 0) {
      this.#queue.unshift(...slot.held);
      this.#breakPool(
        this.brokenError(`${how}${during}; the pool is not usable anymore`),
      );
    } else {
      item?.future.setException(this.brokenError(`${how}${during}`));
      this.#queue.unshift(...held);
      this.#dispatch();
    }
  }

  #initializerFailed(exc: unknown): BrokenExecutor {
    return this.brokenError(
      `the initializer ${this.#init?.name}() failed: ${
        (exc as Error).message
      }; the pool is not usable anymore`,
      { cause: exc },
    );
  }

  /** Fails every call given to the pool and not finished, and ends its workers. */
  #breakPool(error: BrokenExecutor, signal?: EndSignal): void {
    this.#broken ??= error;
    clearTimeout(this.#growing);
    const held = [...this.#live].flatMap((slot) => slot.held);
    for (const item of [...held, ...this.#queue.splice(0)]) {
      item.future.setException(this.#broken);
    }
    for (const slot of this.#live) slot.link.kill(signal);
    this.#live.clear();
    this.#busy.clear();
    this.#idle.length = 0;
  }

  /** The error of a call, of its class again: the module's export, or one of `errorClasses`. */
  async #rebuild(fields: ErrorFields): Promise<Error> {
    this.#classes ??= import(this.module).catch(() => ({})).then(
      (exports) => ({ ...exports, ...this.#errorClasses }),
    );
    return rebuildError(fields, await this.#classes);
  }
}

/** The name a worker finds `fn` by among its module's exports. */
function exportedName(fn: (...args: never[]) => unknown): string {
  if (!fn.name) throw new TypeError("submit needs a named, exported function");
  return fn.name;
}
