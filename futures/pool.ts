/**
 * The core of both pools, the part of Python's `thread.py` and `process.py`
 * that is the same in each: the work queue, the calls running and the
 * workers that carry them, the initializer, `submit`, `shutdown`, and
 * breaking the pool. A pool class says only how one of its workers starts,
 * is sent calls, and stops (a `WorkerLink`).
 *
 * How a call flows:
 *
 * ```
 *  submit(fn, ...args)            a WorkItem and its Future (pending)
 *       |
 *       v
 *  queue ---- fewer than maxWorkers calls running ----> ready (running)
 *                                                          |
 *     a free worker that the call may ride: one that turns |
 *     and carries none, or carries calls that cannot strand it, nor it
 *     them; else a new worker once every one that could    |
 *     take it is busy, blocked, or carries others          v
 *  WorkerLink.send([call, ...]) ----> worker: serveCalls starts each call
 *                                        |               |
 *   the worker is free again   <--- its first part ends: it awaits,
 *   (and the pool learns how long it took)               |
 *                                                        v returns or settles
 *  future.setResult / setException <---------------- Reply (value, or error
 *                                                    fields rebuilt as their class)
 * ```
 *
 * `maxWorkers` bounds the calls running at once, as it bounds Python's
 * threads. A worker carries many calls: while one awaits, it runs others,
 * as a thread waiting on I/O lets the others run. A worker cannot be
 * preempted, so the pool measures when a worker's event loop stops turning
 * (see `BLOCKED_MS`) and what each function's calls do, and lets a call
 * ride only beside calls that cannot strand it:
 *
 * - a worker whose loop has not turned for `BLOCKED_MS` gets no more calls
 *   until it turns again, and the calls that wait go to another worker;
 * - a call rides beside others only when its function's first part (the
 *   code before its first `await`) is known to be short (`SHORT_MS`);
 * - calls of different functions ride together only once each function has
 *   had a call end; a function whose calls stopped a worker after awaiting
 *   never shares one again;
 * - once a function's calls are known not to stop their worker, pending
 *   calls of it are sent ahead to the worker that carries its calls, which
 *   starts each as one of them ends, with no message to the pool and back.
 *
 * @module
 */
import Queue from "npm:yocto-queue@1.2.2";
import {
  BrokenExecutor,
  Executor,
  Future,
  ShutdownError,
  type ShutdownOptions,
} from "./base.ts";
import {
  BLOCKED_MS,
  type Call,
  type ErrorFields,
  type FromWorker,
  rebuildError,
  type Reply,
  SystemExit,
  type ToWorker,
} from "./call.ts";

/**
 * A call whose first part takes less than this may ride beside others: it
 * holds them up no longer than a worker's turn takes when it is not
 * blocked.
 */
const SHORT_MS = BLOCKED_MS / 2;
/**
 * The expected time of the first parts of the calls sent to a worker in one
 * message: about CPython's switch interval, the longest one thread runs
 * while others wait.
 */
const BATCH_MS = 5;
/** The most calls in one message. */
const BATCH_MAX = 256;
/**
 * Calls that do not await and take less than this go several to a message
 * and share one of the `maxWorkers` places, as a chunk of Python's
 * `ProcessPoolExecutor.map` does: the worker runs them one after the other.
 */
const QUICK_MS = 0.5;
/**
 * How many calls in a row of a function that does not await must be quick
 * before its calls go beside others: one quick call may have been given
 * little to do (`loiter(0)`), and the next much more.
 */
const QUICK_STREAK = 4;

/**
 * How many calls of a function must have ended, none stopping its worker,
 * before its calls go ahead (see `#sendAhead`): a call sent ahead cannot be
 * taken back from a worker that a call blocks.
 */
const AHEAD_AFTER = 4;

/** A call and its future, as Python's `_WorkItem`. */
interface WorkItem {
  future: Future<unknown>;
  fn: (...args: never[]) => unknown;
  name: string;
  args: unknown[];
  /** The place among `maxWorkers` that it holds, alone or in a chunk. */
  place?: { calls: number };
  /** Whether it is the first call of its function that its worker runs. */
  cold?: boolean;
  /** How long its first part was expected to take when it was sent (ms). */
  expectMs?: number;
  /** Whether it was sent ahead and waits in its worker for a place. */
  ahead?: boolean;
  /** Its id, once sent. */
  id?: number;
}

/** What the pool learned of a function's calls. */
interface Conduct {
  /**
   * How long the first part of its calls takes, in milliseconds: the
   * shortest of the last few, as the others may have waited for the
   * machine, not for the code.
   */
  firstMs: number;
  lastFirstParts: number[];
  /** Whether its last call awaited. */
  awaits: boolean;
  /** How many of its last calls in a row were quick (see `QUICK_MS`). */
  quickStreak: number;
  /** How many of its calls have ended. */
  ends: number;
  /** Whether its calls, after awaiting, stopped a worker (see `BLOCKED_MS`). */
  strands: boolean;
}

const AsyncFunction = (async () => {}).constructor;

/** How the core drives one worker of a pool, whatever it runs on. */
export interface WorkerLink {
  /** Sends calls, which the worker starts in order, or the first message. */
  send(message: ToWorker): void;
  /**
   * When the worker's loop last said that it turns, on this thread's
   * `performance.now()` clock; `-Infinity` if never.
   */
  lastBeat(): number;
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
  /** A message of the worker; the link keeps its beats. */
  message(message: Exclude<FromWorker, { beat: number }>): void;
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
  /** The calls it carries, by id, those sent ahead included. */
  calls: Map<number, WorkItem>;
  /** The calls sent ahead that it has not started, in order. */
  ahead: WorkItem[];
  /** How many of them each function has. */
  names: Map<string, number>;
  /** The calls whose first part it has not told yet: while any, it is busy. */
  untold: Set<WorkItem>;
  /** When the pool last sent it something, or heard from it. */
  contactAt: number;
  /** When it was created, then how long it took to start (milliseconds). */
  born: number;
  startMs: number;
  /** The functions it was sent calls of: a call of another is cold. */
  ran: Set<string>;
  /** How many of its untold calls are cold, and how long they are expected to take (ms). */
  coldUntold: number;
  untoldMs: number;
  /** Whether it has loaded its module and run the initializer. */
  started: boolean;
  sent: number;
  /** Stops it, idle for `idleMs`. */
  idle?: ReturnType<typeof setTimeout>;
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
  readonly #init: { name: string; args: unknown[] };
  readonly #maxCalls: number;
  readonly #errorClasses: Record<string, unknown>;
  /** The module's exports as this thread sees them, once loaded (null: it cannot load them). */
  #exports?: Record<string, unknown> | null;
  #loading?: Promise<void>;
  /** Calls not running yet, first in first out (an array's `shift` is slow past some thousands). */
  readonly #queue = new Queue<WorkItem>();
  /** Running calls that no worker carries yet. */
  #ready: WorkItem[] = [];
  /** The places among `maxWorkers` held: by each running call, or chunk. */
  #running = 0;
  /** Running calls that workers carry. */
  #carried = 0;
  readonly #unfinished = new Set<Future<unknown>>();
  readonly #live = new Set<Slot>();
  readonly #exits = new Set<Promise<void>>();
  readonly #conduct = new Map<string, Conduct>();
  #lastId = 0;
  #workersCreated = 0;
  #peakRunning = 0;
  /** Whether any worker has become ready: if none can, the pool is broken. */
  #anyStarted = false;
  /** How late this thread's own timers came lately: a worker is given as much more before it counts as blocked. */
  #lag = 0;
  #growing?: ReturnType<typeof setTimeout>;
  /** `performance.now()` as the dispatch under way began. */
  #now = 0;
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
    this.#init = { name, args: initargs };
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

  /** How long a worker that carries no call lives on, if the pool must end it for the program to end. */
  protected abstract readonly idleMs?: number;

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
    this.#queue.enqueue(item);
    this.#unfinished.add(item.future);
    future.addDoneCallback(() => this.#unfinished.delete(item.future));
    // With every place taken, the end of a call dispatches.
    if (this.#running < this.#maxWorkers) this.#dispatch();
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
      for (const item of this.#queue.drain()) item.future.cancel();
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
   * pool adjusts its size. Not reentrant: a future's callbacks may submit,
   * which dispatches again; that turn runs after this one.
   */
  #dispatch(): void {
    if (this.#broken) return;
    if (this.#dispatching) return void (this.#again = true);
    this.#dispatching = true;
    this.#now = performance.now();
    try {
      do {
        this.#again = false;
        this.#startPending();
        this.#sendReady();
        this.#sendAhead();
        this.#adjustWorkerCount();
      } while (this.#again && !this.#broken);
    } finally {
      this.#dispatching = false;
    }
    if (this.#closed && !this.#queue.size && !this.#ready.length) {
      clearTimeout(this.#growing);
      for (const slot of this.#live) if (!slot.calls.size) this.#stop(slot);
    }
  }

  /** Marks pending calls running, up to `maxWorkers` at once. */
  #startPending(): void {
    while (this.#queue.size && this.#running < this.#maxWorkers) {
      const item = this.#queue.dequeue()!;
      if (!item.future.setRunningOrNotifyCancel()) continue;
      item.place = { calls: 1 };
      this.#running += 1;
      this.#ready.push(item);
    }
  }

  /**
   * Sends running calls to the workers free for them, once the module's
   * exports are known here: with a call, the calls after it of the same
   * function when it rides, and more from the queue when it is quick.
   */
  #sendReady(): void {
    if (this.#exports === undefined) return this.#loadExports();
    const waiting: WorkItem[] = [];
    const ready = this.#ready;
    for (let i = 0; i < ready.length; i++) {
      const item = ready[i];
      const slot = this.#freeWorker(item);
      if (!slot) {
        waiting.push(item);
        continue;
      }
      const batch = [item];
      const most = Math.min(
        this.#batchSize(item.name, slot),
        this.#maxCalls - slot.sent,
      );
      while (batch.length < most && ready[i + 1]?.name === item.name) {
        batch.push(ready[++i]);
      }
      if (this.#quick(item.name)) this.#chunk(batch, most);
      this.#post(slot, batch);
    }
    this.#ready = waiting;
  }

  /**
   * Sends pending calls ahead to a worker that carries calls of their
   * function, as many as it has running: each starts there, with no message
   * to the pool and back, as soon as one of those ends. Only for a function
   * that awaits and rides, once `AHEAD_AFTER` of its calls ended, and to a
   * worker that turns.
   * A call sent ahead is running, as Python's process pool marks the calls
   * it queues for its processes; it cannot be cancelled.
   */
  #sendAhead(): void {
    for (const slot of this.#live) {
      const head = this.#queue.peek();
      if (!head) return;
      if (!this.#mayGoAhead(slot, head.name)) continue;
      const batch: WorkItem[] = [];
      const room = Math.min(
        slot.calls.size - 2 * slot.ahead.length,
        this.#maxCalls - slot.sent,
      );
      while (batch.length < room && this.#queue.peek()?.name === head.name) {
        const item = this.#queue.dequeue()!;
        if (item.future.setRunningOrNotifyCancel()) batch.push(item);
      }
      if (batch.length) this.#post(slot, batch, true);
    }
  }

  /** Whether calls of `name` may go ahead to `slot` (see `#sendAhead`). */
  #mayGoAhead(slot: Slot, name: string): boolean {
    const conduct = this.#conduct.get(name);
    return !!conduct?.awaits && this.#rides(name) &&
      conduct.ends >= AHEAD_AFTER && slot.started &&
      !slot.untold.size && slot.names.size === 1 && slot.names.has(name) &&
      slot.ahead.length < slot.calls.size - slot.ahead.length &&
      this.#turning(slot);
  }

  /** Adds queued calls of the batch's function to it, sharing its place. */
  #chunk(batch: WorkItem[], most: number): void {
    const { place, name } = batch[0];
    while (batch.length < most && this.#queue.peek()?.name === name) {
      const item = this.#queue.dequeue()!;
      if (!item.future.setRunningOrNotifyCancel()) continue;
      item.place = place;
      place!.calls += 1;
      batch.push(item);
    }
  }

  /**
   * How many calls of `name` go to `slot` in one message: those whose first
   * parts fit in what is left of `BATCH_MS` beside the first parts it has
   * not told yet; 1 until its calls are known to ride.
   */
  #batchSize(name: string, slot: Slot): number {
    if (!this.#rides(name)) return 1;
    const room = BATCH_MS - slot.untoldMs;
    const size = Math.floor(room / Math.max(this.#expectMs(name), 0.01));
    return Math.max(1, Math.min(BATCH_MAX, size));
  }

  /** How long the first part of a call of `name` is expected to take: Infinity until known. */
  #expectMs(name: string): number {
    return this.#conduct.get(name)?.firstMs ?? Infinity;
  }

  /** The free worker that may take `item`: one that carries calls, the fewest, before an idle one. */
  #freeWorker(item: WorkItem): Slot | undefined {
    let best: Slot | undefined;
    const load = (slot: Slot) => slot.calls.size || Infinity;
    for (const slot of this.#live) {
      if (!this.#takes(slot, item)) continue;
      if (!best || load(slot) < load(best)) best = slot;
    }
    return best;
  }

  /**
   * Whether `slot` may take `item` now: it carries nothing, or it turns and
   * the call may ride beside its calls; while it runs first parts, only if
   * they and this one are known to fit in `BATCH_MS`.
   */
  #takes(slot: Slot, item: WorkItem): boolean {
    if (slot.sent >= this.#maxCalls) return false;
    // The first worker runs its first call as soon as it is ready; a later
    // one takes calls once ready, so that calls start in their order.
    if (!slot.started) return !slot.calls.size && this.#live.size === 1;
    if (!slot.calls.size) return true;
    const expected = slot.untoldMs + this.#expectMs(item.name);
    if (slot.untold.size && expected >= BATCH_MS) return false;
    return this.#turning(slot) && this.#mayRide(slot, item.name);
  }

  /**
   * Whether a call of `name` may ride beside the calls of `slot`: its first
   * part is short, and the functions differ only when each has had a call
   * end, and none stranded others. A function whose first part is not known
   * yet (only a cold call ran) may send one call at a time to ride beside
   * its own calls only, to learn it.
   */
  #mayRide(slot: Slot, name: string): boolean {
    if (!this.#rides(name)) {
      const conduct = this.#conduct.get(name);
      return !!conduct && !conduct.strands && !this.#long(name) &&
        !slot.untold.size && slot.names.size === 1 && slot.names.has(name);
    }
    for (const other of slot.names.keys()) {
      if (other !== name && !(this.#known(name) && this.#known(other))) {
        return false;
      }
    }
    return true;
  }

  /** Whether calls of `name` may ride: their first part is short, and they strand no one. */
  #rides(name: string): boolean {
    const conduct = this.#conduct.get(name);
    if (!conduct || conduct.strands || conduct.firstMs >= SHORT_MS) {
      return false;
    }
    return conduct.awaits || conduct.quickStreak >= QUICK_STREAK;
  }

  /** Whether `name` rides, and a call of it has ended. */
  #known(name: string): boolean {
    return this.#rides(name) && this.#conduct.get(name)!.ends > 0;
  }

  /** Whether calls of `name` ride, do not await and are quick: they go as chunks. */
  #quick(name: string): boolean {
    return this.#rides(name) && !this.#conduct.get(name)!.awaits;
  }

  /** Whether the loop of `slot` turned within `BLOCKED_MS` (and this thread's own lateness). */
  #turning(slot: Slot): boolean {
    return this.#stillFor(slot) > 0;
  }

  /**
   * How long before `slot`, if its loop does not turn, counts as blocked; 0
   * or less if it does. A cold call (see `Reply`) pays for loading and
   * compiling, as the worker's start did: it is given as long, up to 4
   * times `BLOCKED_MS` (a child process's start is mostly its spawn); the
   * cold call of an `async function`, written to await, as long as it
   * takes, however slow the machine.
   */
  #stillFor(slot: Slot): number {
    const heard = Math.max(slot.link.lastBeat(), slot.contactAt);
    if (slot.coldUntold && [...slot.untold].every(coldAsync)) return Infinity;
    const patience = slot.coldUntold
      ? Math.min(Math.max(BLOCKED_MS, slot.startMs), 4 * BLOCKED_MS)
      : BLOCKED_MS;
    return patience + this.#lag - (this.#now - heard);
  }

  /**
   * Starts a worker when a running call has none: at once for the first;
   * a second while the first loads if the call may block (any function
   * but an `async function`), since nothing tells yet whether it does; then
   * when a call has no worker that may take it once free, never while one
   * is starting. A busy worker that may take the call is waited for until
   * it is found blocked, unless its first part is known to be long.
   */
  #adjustWorkerCount(): void {
    if (!this.#ready.length || this.#live.size >= this.#maxWorkers) return;
    if (this.#live.size && this.#exports === undefined) return; // not sent yet
    if ([...this.#live].some((slot) => !slot.started)) {
      const cold = !this.#anyStarted && this.#live.size === 1;
      if (cold && !(this.#ready[0].fn instanceof AsyncFunction)) {
        this.#newWorker();
      }
      return;
    }
    let wait = Infinity;
    for (const item of this.#ready) {
      const ms = this.#soonFree(item);
      if (ms === undefined) return this.#newWorker();
      wait = Math.min(wait, ms);
    }
    if (wait < Infinity) this.#growLater(wait); // else its reply dispatches
  }

  /**
   * How long until a busy worker that may take `item` once free would count
   * as blocked, or undefined if no worker may: all are blocked, busy with a
   * first part known to be long, or carry calls it may not ride beside.
   */
  #soonFree(item: WorkItem): number | undefined {
    let soonest: number | undefined;
    for (const slot of this.#live) {
      if (!slot.untold.size || slot.sent >= this.#maxCalls) continue;
      const still = this.#stillFor(slot);
      if (still <= 0 || [...slot.untold].some((u) => this.#long(u.name))) {
        continue;
      }
      const same = slot.names.size === 1 && slot.names.has(item.name);
      if (!same && !this.#mayRide(slot, item.name)) continue;
      soonest = Math.min(soonest ?? Infinity, still);
    }
    return soonest;
  }

  /** Whether the first part of a call of `name` is known to take long (not only a cold call's). */
  #long(name: string): boolean {
    const conduct = this.#conduct.get(name);
    return !!conduct && conduct.firstMs >= SHORT_MS &&
      conduct.firstMs < Infinity;
  }

  #growLater(ms: number): void {
    if (this.#growing !== undefined) return;
    const due = performance.now() + ms;
    this.#growing = setTimeout(() => {
      this.#growing = undefined;
      // Late here means late there too: count it before calling a worker blocked.
      this.#lag = Math.max(performance.now() - due, 0.8 * this.#lag);
      this.#dispatch();
    }, ms);
  }

  /** Starts a worker; one that cannot (no permission to read its code, say) breaks the pool. */
  #newWorker(): void {
    const slot: Slot = {
      calls: new Map(),
      ahead: [] as WorkItem[],
      names: new Map(),
      untold: new Set(),
      contactAt: performance.now(),
      born: performance.now(),
      startMs: 0,
      ran: new Set(),
      coldUntold: 0,
      untoldMs: 0,
      started: false,
      sent: 0,
    } as Slot;
    try {
      slot.link = this.startWorker({
        message: (message) => this.#received(slot, message),
        died: (how) => this.#died(slot, how),
      });
    } catch (exc) { // later, as a worker that dies: the submit under way returns
      const message = `cannot start a worker: ${(exc as Error).message}`;
      const error = this.brokenError(
        `${message}; the pool is not usable anymore`,
      );
      return queueMicrotask(() => this.#breakPool(error));
    }
    this.#workersCreated += 1;
    this.#live.add(slot);
    slot.link.keepAlive(true); // until it is ready, and while it carries calls
    const exit = slot.link.exited.then(() => void this.#exits.delete(exit));
    this.#exits.add(exit);
    try {
      slot.link.send({ init: this.#init });
    } catch (exc) { // initargs that cannot be cloned
      this.#breakPool(this.#initializerFailed(exc));
    }
  }

  /** Sends `batch` to `slot`, but a call whose `fn` is not the module's own, or whose arguments cannot be cloned. */
  #post(slot: Slot, batch: WorkItem[], ahead = false): void {
    const sent = new Map<number, WorkItem>();
    for (const item of batch) {
      const exported = this.#exports?.[item.name];
      if (this.#exports && exported !== item.fn) {
        this.#fail(item, notExported(this.module, item.name, exported));
      } else sent.set(++this.#lastId, item);
    }
    const calls: Call[] = [...sent].map(([id, { name, args }]) => (
      ahead ? { id, name, args, ahead } : { id, name, args }
    ));
    try {
      if (calls.length) slot.link.send(calls);
    } catch { // one of them cannot be cloned: each alone
      for (const call of calls.splice(0)) {
        try {
          slot.link.send([call]);
          calls.push(call);
        } catch (exc) {
          this.#fail(sent.get(call.id)!, exc);
        }
      }
    }
    if (!calls.length) return;
    if (!slot.calls.size) slot.link.keepAlive(true);
    clearTimeout(slot.idle);
    for (const { id } of calls) {
      const item = sent.get(id)!;
      if (ahead) this.#carryAhead(slot, id, item);
      else this.#carry(slot, id, item);
    }
    slot.sent += calls.length;
    slot.contactAt = performance.now();
  }

  #carry(slot: Slot, id: number, item: WorkItem): void {
    item.id = id;
    slot.calls.set(id, item);
    this.#count(slot, item);
    this.#starts(slot, item);
  }

  /** Carries a call sent ahead: it holds no place, and does not run yet. */
  #carryAhead(slot: Slot, id: number, item: WorkItem): void {
    item.id = id;
    item.ahead = true;
    slot.calls.set(id, item);
    slot.ahead.push(item);
    this.#count(slot, item);
  }

  #count(slot: Slot, item: WorkItem): void {
    slot.names.set(item.name, (slot.names.get(item.name) ?? 0) + 1);
  }

  /** `item` runs on `slot` from now: its first part is not told yet. */
  #starts(slot: Slot, item: WorkItem): void {
    item.ahead = false;
    slot.untold.add(item);
    item.cold = !slot.ran.has(item.name);
    if (item.cold) slot.coldUntold += 1;
    slot.ran.add(item.name);
    // An unknown first part counts as BATCH_MS: nothing is sent beside it.
    item.expectMs = Math.min(this.#expectMs(item.name), BATCH_MS);
    slot.untoldMs += item.expectMs;
    this.#carried += 1;
    this.#peakRunning = Math.max(this.#peakRunning, this.#carried);
  }

  /** Takes the call `id` off `slot`, and frees its place once its chunk is done. */
  #drop(slot: Slot, id: number, item: WorkItem): void {
    slot.calls.delete(id);
    const left = slot.names.get(item.name)! - 1;
    if (left) slot.names.set(item.name, left);
    else slot.names.delete(item.name);
    if (item.ahead) {
      slot.ahead.splice(slot.ahead.indexOf(item), 1);
      return;
    }
    this.#told(slot, item);
    this.#carried -= 1;
  }

  /**
   * The call sent ahead that takes the place of `item`, which ended: the
   * one the worker says it started (`next`), or else the first it has not
   * started, which the pool tells it to start now (`go`).
   */
  #heir(slot: Slot, item: WorkItem, next?: number): WorkItem | undefined {
    const heir = next === undefined ? slot.ahead[0] : slot.calls.get(next);
    if (!heir?.ahead) return undefined; // started by a `go` already
    slot.ahead.splice(slot.ahead.indexOf(heir), 1);
    heir.place = item.place;
    this.#starts(slot, heir);
    return heir;
  }

  /** Marks the first part of `item` told; false if it was already. */
  #told(slot: Slot, item: WorkItem): boolean {
    if (!slot.untold.delete(item)) return false;
    if (item.cold) slot.coldUntold -= 1;
    slot.untoldMs = slot.untold.size ? slot.untoldMs - item.expectMs! : 0;
    return true;
  }

  #free(item: WorkItem): void {
    if (--item.place!.calls === 0) this.#running -= 1;
  }

  /** A running call that no worker carries fails with `exc`. */
  #fail(item: WorkItem, exc: unknown): void {
    this.#free(item);
    item.future.setException(exc);
    queueMicrotask(() => this.#dispatch());
  }

  /**
   * Loads the module here, to tell its functions from others of their
   * names and to rebuild errors. The program's own module may finish
   * loading only once these calls are done (its top-level `await` waits on
   * them): the pool goes on without its exports until it does.
   */
  #loadExports(): void {
    if (this.#loading) return;
    this.#loading = import(this.module).then(
      (exports) => void (this.#exports = exports),
      () => void (this.#exports ??= null), // the workers report why
    ).then(() => this.#dispatch());
    if (this.#ownModule()) this.#exports = null;
  }

  /** Whether the pool runs the program's own module, as a script that submits its own functions does. */
  #ownModule(): boolean {
    return this.module === Deno.mainModule;
  }

  #received(slot: Slot, message: Exclude<FromWorker, { beat: number }>): void {
    slot.contactAt = performance.now(); // a message is a turn of its loop
    if (Array.isArray(message)) return this.#replies(slot, message);
    if ("strands" in message) {
      for (const name of message.strands) this.#learn(name).strands = true;
      return;
    }
    if (!message.started) {
      return void this.#rebuild(message.error).then((exc) =>
        this.#breakPool(this.#initializerFailed(exc))
      );
    }
    this.#anyStarted = slot.started = true;
    slot.contactAt = performance.now(); // its first call runs from now
    slot.startMs = slot.contactAt - slot.born;
    this.#dispatch();
    if (!slot.calls.size && this.#live.has(slot)) this.#idleAgain(slot);
  }

  /** Learns from each reply, frees the places of the calls that ended, dispatches, then settles their futures. */
  #replies(slot: Slot, replies: Reply[]): void {
    const ended: [WorkItem, Reply][] = [];
    const go: number[] = [];
    for (const reply of replies) {
      const item = slot.calls.get(reply.id);
      if (!item) continue;
      const conduct = this.#learn(item.name);
      if (this.#told(slot, item)) {
        // A cold call's long first part may be loading and compiling only.
        const { ms = Infinity, cold } = reply;
        if (!cold || ms < SHORT_MS) learnFirstPart(conduct, ms);
        conduct.awaits = "awaits" in reply;
        conduct.quickStreak = ms < QUICK_MS ? conduct.quickStreak + 1 : 0;
      }
      if ("awaits" in reply) continue;
      conduct.ends += 1;
      this.#drop(slot, reply.id, item);
      const heir = this.#heir(slot, item, reply.next);
      if (!heir) this.#free(item);
      else if (reply.next !== heir.id) go.push(heir.id!);
      ended.push([item, reply]);
    }
    if (go.length) slot.link.send({ go });
    if (!slot.calls.size) this.#idleAgain(slot);
    this.#dispatch();
    for (const [{ future }, reply] of ended) {
      if ("value" in reply) future.setResult(reply.value);
      else if ("error" in reply) {
        void this.#rebuild(reply.error).then((e) => future.setException(e));
      }
    }
  }

  /** What the pool knows of the calls of `name`, made empty the first time. */
  #learn(name: string): Conduct {
    let conduct = this.#conduct.get(name);
    if (!conduct) {
      conduct = {
        firstMs: Infinity,
        lastFirstParts: [],
        awaits: false,
        quickStreak: 0,
        ends: 0,
        strands: false,
      };
      this.#conduct.set(name, conduct);
    }
    return conduct;
  }

  /** A worker that carries no call lets the program end: it stops if it has run its most calls, or after `idleMs`. */
  #idleAgain(slot: Slot): void {
    slot.link.keepAlive(false);
    if (slot.sent >= this.#maxCalls) return this.#stop(slot);
    if (this.idleMs === undefined) return;
    slot.idle = setTimeout(() => {
      if (!slot.calls.size && this.#live.has(slot)) this.#stop(slot);
    }, this.idleMs);
  }

  #stop(slot: Slot): void {
    clearTimeout(slot.idle);
    this.#live.delete(slot);
    slot.link.stop();
  }

  /**
   * A worker ended unasked: its calls fail, with an error that names the
   * call it ran, if any, and the calls riding beside it; the pool breaks if
   * deaths do, or if no worker ever answered (the next would fail alike).
   */
  #died(slot: Slot, how: string): void {
    if (!this.#live.delete(slot)) return; // stopped or killed by the pool
    clearTimeout(slot.idle);
    slot.link.kill();
    const carried = [...slot.calls];
    const message = how + whileCarrying(slot);
    if (this.deathBreaksPool || !this.#anyStarted) {
      this.#ready.unshift(...slot.calls.values()); // for #breakPool to fail
      return this.#breakPool(
        this.brokenError(`${message}; the pool is not usable anymore`),
      );
    }
    for (const [id, item] of carried) {
      if (!item.ahead) this.#free(item);
      this.#drop(slot, id, item);
      item.future.setException(this.brokenError(message));
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
    const waiting = [...this.#ready.splice(0), ...this.#queue.drain()];
    for (const item of [...carried, ...waiting]) {
      item.future.setException(this.#broken);
    }
    for (const slot of this.#live) {
      clearTimeout(slot.idle);
      slot.link.kill(signal);
    }
    this.#live.clear();
    this.#carried = 0;
    this.#running = 0;
  }

  /** The error of a call, of its class again: the module's export, one of `errorClasses`, or the core's own. */
  async #rebuild(fields: ErrorFields): Promise<Error> {
    this.#loadExports();
    if (!this.#ownModule()) await this.#loading;
    const classes = { SystemExit, ...this.#exports, ...this.#errorClasses };
    return rebuildError(fields, classes);
  }
}

/**
 * How a worker's death names what it carried: the call whose code it ran
 * (one whose first part it had not told), and the calls riding beside it.
 */
function whileCarrying(slot: Slot): string {
  const [ran] = slot.untold;
  const riders = [...slot.calls.values()].filter((item) => item !== ran);
  const counts = Map.groupBy(riders, (item) => item.name);
  const names = [...counts].map(([name, items]) =>
    items.length > 1 ? `${name}() ×${items.length}` : `${name}()`
  ).join(", ");
  const calls = riders.length === 1 ? "1 call" : `${riders.length} calls`;
  if (ran) {
    return ` while it ran ${ran.name}()` +
      (riders.length ? `, with ${calls} riding beside it: ${names}` : "");
  }
  return riders.length ? ` while ${calls} rode on it, awaiting: ${names}` : "";
}

/** Whether `item` is the cold call of an `async function`. */
function coldAsync(item: WorkItem): boolean {
  return !!item.cold && item.fn instanceof AsyncFunction;
}

/** How many first parts `firstMs` is the shortest of. */
const FIRST_PARTS_KEPT = 3;

/** Learns that a first part took `ms`. */
function learnFirstPart(conduct: Conduct, ms: number): void {
  conduct.lastFirstParts.push(ms);
  if (conduct.lastFirstParts.length > FIRST_PARTS_KEPT) {
    conduct.lastFirstParts.shift();
  }
  conduct.firstMs = Math.min(...conduct.lastFirstParts);
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
