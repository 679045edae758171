/**
 * The core of both pools, the part of Python's `thread.py` and `process.py`
 * that is the same in each: the work queue, the calls running and the
 * workers that carry them, the initializer, `submit`, `shutdown`, and
 * breaking the pool. A pool class says only how one of its workers starts,
 * is sent a call, and stops (a `WorkerLink`).
 *
 * How a call flows:
 *
 * ```
 *  submit(fn, ...args)           a WorkItem and its Future (pending)
 *       |
 *       v
 *  queue ---- fewer than maxWorkers calls running ----> ready (running)
 *                                                         |
 *        a free worker, or a new one once all are blocked |
 *                                                         v
 *  WorkerLink.send(call) ----> worker: serveCalls starts fn(...args)
 *                                 |               |
 *       the worker is free again <-- awaits       | returns or settles
 *                                                 v
 *  future.setResult / setException <---------- Outcome (value, or error
 *                                               fields rebuilt as their class)
 * ```
 *
 * `maxWorkers` bounds the calls running at once, as it bounds Python's
 * threads. A worker carries many calls: while one awaits, it runs others,
 * as a thread waiting on I/O lets the others run.
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
  type Reply,
} from "./call.ts";

/**
 * How long a worker may run one call's code without awaiting before the
 * pool takes it as blocked and starts another worker for the calls that
 * wait: far longer than a call needs to start a fetch, shorter than the
 * time a `new Worker()` costs this thread. On a loaded machine, where a
 * message takes long to cross, it is `ROUND_TRIPS` times the time calls
 * that awaited took to say so, if that is longer.
 */
const BLOCKED_MS = 50;
const ROUND_TRIPS = 4;
/**
 * The most calls sent to a free worker at once when their function awaited
 * the last time: the worker starts them one after another, without a
 * message round trip for each.
 */
const BATCH = 32;

/** A call and its future, as Python's `_WorkItem`. */
interface WorkItem {
  future: Future<unknown>;
  fn: (...args: never[]) => unknown;
  name: string;
  args: unknown[];
}

const AsyncFunction = (async () => {}).constructor;

/**
 * Whether a call of `fn` may keep its worker to itself: any function but an
 * `async function`, which is written to await. One that does not await is
 * found blocked as any other call is.
 */
function mayBlock(fn: WorkItem["fn"]): boolean {
  return !(fn instanceof AsyncFunction);
}

/** How the core drives one worker of a pool, whatever it runs on. */
export interface WorkerLink {
  /** Sends a call, which the worker starts as soon as it is free. */
  send(call: Call): void;
  /** Whether the worker keeps this program alive: while it carries calls. */
  keepAlive(on: boolean): void;
  /** Stops the worker, which carries no call. */
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
  /** A call awaits, or ended. */
  reply(reply: Reply): void;
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

/** One worker and the calls it carries. */
interface Slot {
  link: WorkerLink;
  calls: Map<number, WorkItem>;
  /** The call last sent, until it awaits or ends: the worker is busy. */
  busyWith?: number;
  /** When that call started to run: when it was sent, or when the worker became ready. */
  busySince: number;
  /** Whether the worker has loaded its module and run the initializer. */
  started: boolean;
  sent: number;
}

/**
 * The pool both executors are: it runs functions exported by one module,
 * at most `maxWorkers` calls at once, on as few workers as keep them going.
 *
 * @ignore
 */
export abstract class WorkerPool extends Executor {
  readonly #maxWorkers: number;
  /** The URL of the module whose exported functions run. */
  protected readonly module: string;
  /** The first message to every worker, with the initializer if any. */
  readonly #init: Call;
  readonly #maxCalls: number;
  readonly #errorClasses: Record<string, unknown>;
  /** The module's exports as this thread sees them, once loaded (null: it cannot load them). */
  #exports?: Record<string, unknown> | null;
  #loading?: Promise<void>;
  readonly #queue: WorkItem[] = [];
  /** Running calls that no worker carries yet. */
  readonly #ready: WorkItem[] = [];
  /** Running calls that workers carry. */
  #carried = 0;
  readonly #unfinished = new Set<Future<unknown>>();
  readonly #live = new Set<Slot>();
  readonly #exits = new Set<Promise<void>>();
  #lastId = 0;
  #workersCreated = 0;
  #peakRunning = 0;
  /** Whether any worker has become ready: if none can, the pool is broken. */
  #anyStarted = false;
  /** How long calls took to say they await, on average (milliseconds). */
  #awaitMs = 0;
  /** The functions whose last call awaited; one that returned before it said so, blocking, leaves. */
  readonly #awaiting = new Set<string>();
  #growing?: ReturnType<typeof setTimeout>;
  #dispatching = false;
  #again = false;
  #closed = false;
  #broken?: BrokenExecutor;

  /**
   * A pool that runs at most `maxWorkers` calls at once, on `module`.
   *
   * @param maxWorkers the most calls at once, and so workers; 1 or more.
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
    const name = initializer ? exportedName(initializer) : "";
    this.#init = { id: 0, name, args: initargs, init: true };
    this.#maxCalls = maxCalls;
    this.#errorClasses = Object.fromEntries(
      errorClasses.map((cls) => [cls.name, cls]),
    );
  }

  /** The most calls that run at once, as Python's `_max_workers`. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** How many workers this pool has started so far. */
  get workersCreated(): number {
    return this.#workersCreated;
  }

  /** The most calls that workers carried at once. */
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

  /** Whether a worker that dies unasked breaks the pool, or only fails its calls. */
  protected abstract readonly deathBreaksPool: boolean;

  /**
   * Schedules `fn(...args)`: it runs at once if fewer than `maxWorkers`
   * calls run, else once one of them ends.
   *
   * @param fn a named function that the pool's module exports; another
   * function of that name fails the future with a `TypeError`.
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
    const item = { future, fn, name: exportedName(fn), args } as WorkItem;
    this.#queue.push(item);
    this.#unfinished.add(item.future);
    future.addDoneCallback(() => this.#unfinished.delete(item.future));
    this.#dispatch();
    return future;
  }

  /**
   * Takes no more calls; each worker stops once it carries no call and no
   * call waits (those running finish first).
   *
   * @param options `wait` (true): settle once every call is over and every
   * worker has stopped; `cancelFutures` (false): cancel the calls that have
   * not started running.
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
   * Shuts the pool down, cancels the pending calls, and ends every worker
   * at once: the calls they carried fail with the pool's `BrokenExecutor`.
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

  /**
   * Pending calls start while there is room, free workers take them, the
   * pool adjusts its size. Not reentrant: `new Worker()` may run pending
   * promise reactions, which dispatch again; that turn runs after this one.
   */
  #dispatch(): void {
    if (this.#broken) return;
    if (this.#dispatching) return void (this.#again = true);
    this.#dispatching = true;
    try {
      do {
        this.#again = false;
        this.#startPending();
        this.#sendReady();
        this.#adjustWorkerCount();
      } while (this.#again && !this.#broken);
    } finally {
      this.#dispatching = false;
    }
    if (this.#closed && !this.#queue.length && !this.#ready.length) {
      clearTimeout(this.#growing);
      for (const slot of this.#live) if (!slot.calls.size) this.#stop(slot);
    }
  }

  /** Marks pending calls running, up to `maxWorkers` at once. */
  #startPending(): void {
    while (
      this.#queue.length &&
      this.#ready.length + this.#carried < this.#maxWorkers
    ) {
      const item = this.#queue.shift()!;
      if (!item.future.setRunningOrNotifyCancel()) continue;
      this.#ready.push(item);
    }
  }

  /** Sends running calls to free workers, once the module's exports are known here. */
  #sendReady(): void {
    if (this.#exports === undefined) return this.#loadExports();
    let slot: Slot | undefined;
    while (this.#ready.length && (slot = this.#freeWorker())) {
      // Calls that await go together; none is sent behind one that may block.
      for (let n = 0; n < BATCH && this.#ready.length; n++) {
        const { name } = this.#ready[0];
        this.#post(slot, this.#ready.shift()!);
        if (!this.#awaiting.has(name) || slot.sent >= this.#maxCalls) break;
      }
    }
  }

  /** The free worker that carries the fewest calls. */
  #freeWorker(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#live) {
      if (slot.busyWith !== undefined || slot.sent >= this.#maxCalls) continue;
      if (!best || slot.calls.size < best.calls.size) best = slot;
    }
    return best;
  }

  /**
   * Starts a worker when a running call has none: at once for the first;
   * a second while the first loads if the call may block (see `mayBlock`),
   * since nothing tells yet whether it does (if it does, two run from the
   * start); then when every worker that could take the call has been
   * blocked (see `BLOCKED_MS`), never while one is starting.
   */
  #adjustWorkerCount(): void {
    if (!this.#ready.length || this.#live.size >= this.#maxWorkers) return;
    const cold = !this.#anyStarted && this.#live.size === 1;
    if (!this.#live.size || cold && mayBlock(this.#ready[0].fn)) {
      this.#newWorker();
      return this.#sendReady();
    }
    const slots = [...this.#live].filter((s) => s.sent < this.#maxCalls);
    if (slots.some((slot) => !slot.started || slot.busyWith === undefined)) {
      return; // starting, or free once the exports are known here
    }
    const blocked = Math.max(BLOCKED_MS, ROUND_TRIPS * this.#awaitMs);
    const busy = Math.min(...slots.map((s) => performance.now() - s.busySince));
    if (busy < blocked) return this.#growLater(blocked - busy);
    this.#newWorker();
    this.#sendReady();
  }

  #growLater(ms: number): void {
    if (this.#growing !== undefined) return;
    this.#growing = setTimeout(() => {
      this.#growing = undefined;
      this.#dispatch();
    }, ms);
  }

  /** Starts a worker; one that cannot (no permission to read its code, say) breaks the pool. */
  #newWorker(): void {
    const slot = { calls: new Map(), busySince: 0, started: false, sent: 0 };
    let link: WorkerLink;
    try {
      link = this.startWorker({
        reply: (reply) => this.#reply(slot as Slot, reply),
        died: (how) => this.#died(slot as Slot, how),
      });
    } catch (exc) { // later, as a worker that dies: the submit under way returns
      const message = `cannot start a worker: ${(exc as Error).message}`;
      const error = this.brokenError(
        `${message}; the pool is not usable anymore`,
      );
      return queueMicrotask(() => this.#breakPool(error));
    }
    this.#addWorker(Object.assign(slot, { link }));
  }

  #addWorker(slot: Slot): void {
    this.#workersCreated += 1;
    this.#live.add(slot);
    const exit = slot.link.exited.then(() => void this.#exits.delete(exit));
    this.#exits.add(exit);
    try {
      send(slot.link, this.#init);
    } catch (exc) { // initargs that cannot be cloned
      this.#breakPool(this.#initializerFailed(exc));
    }
  }

  /** Sends `item` to `slot`, unless `fn` is not the module's own function. */
  #post(slot: Slot, item: WorkItem): void {
    const exported = this.#exports?.[item.name];
    if (this.#exports && exported !== item.fn) {
      return this.#fail(item, notExported(this.module, item.name, exported));
    }
    const id = ++this.#lastId;
    try {
      send(slot.link, { id, name: item.name, args: item.args });
    } catch (exc) { // arguments that cannot be cloned
      return this.#fail(item, exc);
    }
    slot.calls.set(id, item);
    slot.sent += 1;
    slot.busyWith = id;
    slot.busySince = performance.now();
    if (slot.calls.size === 1) slot.link.keepAlive(true);
    this.#carried += 1;
    this.#peakRunning = Math.max(this.#peakRunning, this.#carried);
  }

  /** A running call that no worker carries fails with `exc`. */
  #fail(item: WorkItem, exc: unknown): void {
    item.future.setException(exc);
    queueMicrotask(() => this.#dispatch());
  }

  /** Loads the module here, to tell its functions from others of their names and to rebuild errors. */
  #loadExports(): void {
    this.#loading ??= import(this.module).then(
      (exports) => void (this.#exports = exports),
      () => void (this.#exports = null), // the workers report why
    ).then(() => this.#dispatch());
  }

  #reply(slot: Slot, reply: Reply): void {
    if ("init" in reply) return this.#started(slot, reply);
    const item = slot.calls.get(reply.id);
    if (!item) return;
    if (reply.id === slot.busyWith) this.#learn(slot, item, "awaits" in reply);
    if ("awaits" in reply) {
      this.#awaiting.add(item.name);
      return this.#dispatch();
    }
    slot.calls.delete(reply.id);
    this.#carried -= 1;
    if (!slot.calls.size) this.#idleAgain(slot);
    this.#dispatch();
    if ("value" in reply) item.future.setResult(reply.value);
    else {
      void this.#rebuild(reply.error).then((e) => item.future.setException(e));
    }
  }

  /** The worker is free again: the call last sent awaits, or returned. */
  #learn(slot: Slot, item: WorkItem, awaits: boolean): void {
    slot.busyWith = undefined;
    if (!awaits) return void this.#awaiting.delete(item.name);
    const ms = performance.now() - slot.busySince;
    this.#awaitMs = this.#awaitMs ? 0.8 * this.#awaitMs + 0.2 * ms : ms;
  }

  /** The worker has loaded its module and run the initializer, or the initializer threw. */
  #started(slot: Slot, reply: Outcome): void {
    if ("error" in reply) {
      return void this.#rebuild(reply.error).then((exc) =>
        this.#breakPool(this.#initializerFailed(exc))
      );
    }
    this.#anyStarted = slot.started = true;
    slot.busySince = performance.now(); // its first call runs from now
    this.#dispatch();
  }

  /** A worker that carries no call lets the program end, or stops if it has run its most calls. */
  #idleAgain(slot: Slot): void {
    slot.link.keepAlive(false);
    if (slot.sent >= this.#maxCalls) this.#stop(slot);
  }

  #stop(slot: Slot): void {
    this.#live.delete(slot);
    slot.link.stop();
  }

  /** A worker ended unasked: its calls fail; the pool breaks if deaths do, or no worker ever answered (the next would fail alike). */
  #died(slot: Slot, how: string): void {
    if (!this.#live.delete(slot)) return; // stopped or killed by the pool
    slot.link.kill();
    const carried = [...slot.calls.values()];
    const names = carried.map((item) => `${item.name}()`).join(", ");
    const during = names ? ` while it ran ${names}` : "";
    if (this.deathBreaksPool || !this.#anyStarted) {
      this.#ready.unshift(...carried); // for #breakPool to fail
      return this.#breakPool(
        this.brokenError(`${how}${during}; the pool is not usable anymore`),
      );
    }
    this.#carried -= carried.length;
    for (const { future } of carried) {
      future.setException(this.brokenError(`${how}${during}`));
    }
    this.#dispatch();
  }

  #initializerFailed(exc: unknown): BrokenExecutor {
    return this.brokenError(
      `the initializer ${this.#init.name}() failed: ${
        (exc as Error).message
      }; the pool is not usable anymore`,
      { cause: exc },
    );
  }

  /** Fails every call given to the pool and not finished, and ends its workers. */
  #breakPool(error: BrokenExecutor, signal?: EndSignal): void {
    this.#broken ??= error;
    clearTimeout(this.#growing);
    const carried = [...this.#live].flatMap((slot) => [...slot.calls.values()]);
    const waiting = [...this.#ready.splice(0), ...this.#queue.splice(0)];
    for (const item of [...carried, ...waiting]) {
      item.future.setException(this.#broken);
    }
    for (const slot of this.#live) slot.link.kill(signal);
    this.#live.clear();
    this.#carried = 0;
  }

  /** The error of a call, of its class again: the module's export, or one of `errorClasses`. */
  async #rebuild(fields: ErrorFields): Promise<Error> {
    this.#loadExports();
    await this.#loading;
    return rebuildError(fields, { ...this.#exports, ...this.#errorClasses });
  }
}

/**
 * Sends `call` over `link`, after a trial clone of its arguments: what
 * cannot cross fails as a `DataCloneError` in either pool (a child's channel
 * would send it as garbage).
 */
function send(link: WorkerLink, call: Call): void {
  structuredClone(call.args);
  link.send(call);
}

/** The name a worker finds `fn` by among its module's exports. */
function exportedName(fn: (...args: never[]) => unknown): string {
  if (!fn.name) throw new TypeError("submit needs a named, exported function");
  return fn.name;
}

/** Why a call cannot run: its module exports no such function, or another of that name. */
function notExported(module: string, name: string, found: unknown): TypeError {
  if (typeof found !== "function") {
    return new TypeError(`${module} exports no function ${name}`);
  }
  return new TypeError(
    `${name} is not the function that ${module} exports under that name: ` +
      "a pool runs only the module's own exports",
  );
}
