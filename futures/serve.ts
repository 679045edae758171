/**
 * What runs in every worker of a pool, a Web Worker or a child process: it
 * imports the pool's module, runs the initializer, then starts the calls as
 * they arrive, several to a message, and replies several to a message.
 *
 * Beyond that, it keeps one call's accident that call's. An error thrown
 * from a timer, or a rejection that nothing handles, is printed on standard
 * error with the call it came from, as CPython prints an exception raised in
 * a thread, and the worker goes on with the calls riding on it.
 * `Deno.exit()`, `process.exit()` and `close()` throw `SystemExit` into the
 * call that called them, as `sys.exit()` does in a thread of a pool. And the
 * worker says how its event loop turns: a stamp every `TICK_MS` while calls
 * ride on it, and the names of the functions whose calls, after awaiting,
 * stopped it for `BLOCKED_MS` or more.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import process from "node:process";
import {
  BLOCKED_MS,
  type Call,
  errorFields,
  type FromWorker,
  type Reply,
  SystemExit,
  type ToWorker,
} from "./call.ts";

/** How often the event loop of a worker stamps that it turns. */
const TICK_MS = 10;
/** Replies within this long of a message wait for the end of the turn (see `Outbox`). */
const COALESCE_MS = 1;

/** How a worker talks to its pool. */
export interface Channel {
  /** Posts `message` to the pool; throws if it cannot be cloned. */
  send(message: FromWorker): void;
  /**
   * Says that the loop turns, each `TICK_MS`.
   *
   * @param now `performance.timeOrigin + performance.now()`.
   * @param riding whether calls ride on the worker.
   */
  beat(now: number, riding: boolean): void;
}

type Exports = Record<string, unknown>;

/** The call whose code runs, across its awaits, timers and promises. */
const running = new AsyncLocalStorage<Call>();

/**
 * Serves the calls of `module` over `channel`: the first message runs the
 * initializer, each one after it starts its calls in order. A call that
 * returns a promise is told as awaiting, and the worker takes the next call
 * while it waits; a call that blocks keeps the worker until it returns. A
 * call sent ahead waits until a call ends, and starts in its place at once,
 * with no message to the pool and back. Once the initializer has thrown,
 * the worker runs nothing more.
 *
 * @param module the URL of the module whose exported functions run.
 * @param channel how to reach the pool.
 * @returns the handler of each message from the pool.
 */
export function serveCalls(
  module: string,
  channel: Channel,
): (message: ToWorker) => void {
  const loop = new LoopWatch(channel);
  const outbox = new Outbox(channel);
  /** The functions that have run here: the first call of each is cold. */
  const ran = new Set<string>();
  /** The calls sent ahead and not started yet, in order. */
  const ahead: Call[] = [];
  keepAccidentsToTheirCall();
  let ready: Promise<Exports | undefined> = import(module);
  ready.catch(() => {}); // each call reports it
  return (message) => {
    if ("init" in message) {
      ready = initialize(module, ready, message.init, channel);
      ready.catch(() => {});
      return;
    }
    // `then` keeps the order of arrival while the import runs.
    ready.then(
      (exports) => {
        if (!exports) return;
        if ("go" in message) return go(exports, message.go);
        for (const call of message) {
          if (call.ahead) ahead.push(call);
          else start(exports, call);
        }
      },
      (exc) => {
        if ("go" in message) return;
        for (const { id } of message) outbox.post({ id, ...failed(exc) });
      },
    );
  };

  function go(exports: Exports, ids: number[]): void {
    for (const id of ids) {
      const i = ahead.findIndex((call) => call.id === id);
      if (i >= 0) start(exports, ahead.splice(i, 1)[0]);
    }
  }

  function start(exports: Exports, call: Call): void {
    const { id } = call;
    const cold = !ran.has(call.name) && (ran.add(call.name), true);
    const t0 = performance.now();
    let result: unknown;
    try {
      result = running.run(call, invoke, module, exports, call);
    } catch (exc) {
      const ms = loop.ran(t0);
      return end(exports, { id, ms, ...coldly(cold), ...failed(exc) });
    }
    const timed = { id, ms: loop.ran(t0), ...coldly(cold) };
    if (typeof (result as PromiseLike<unknown>)?.then !== "function") {
      return end(exports, { ...timed, value: result });
    }
    outbox.post({ ...timed, awaits: true });
    loop.rides(call);
    Promise.resolve(result).then(
      (value) => end(exports, { id, value }),
      (exc) => end(exports, { id, ...failed(exc) }),
    ).finally(() => loop.ended(call));
  }

  /** Tells how a call ended, and starts the next call sent ahead in its place. */
  function end(exports: Exports, reply: Reply): void {
    loop.check(channel);
    const next = ahead.shift();
    outbox.post(next ? { ...reply, next: next.id } : reply);
    if (next) start(exports, next);
  }
}

/**
 * Waits for the import, runs the initializer if any, then says whether the
 * worker is ready: the exports, or nothing once the initializer threw (or
 * could not run, its module failing to load).
 */
async function initialize(
  module: string,
  ready: Promise<Exports | undefined>,
  { name, args }: { name: string; args: unknown[] },
  channel: Channel,
): Promise<Exports | undefined> {
  try {
    const exports = await ready.catch((exc) => {
      if (name) throw exc; // else each call reports it
    });
    const call = { id: 0, name, args };
    if (exports && name) await running.run(call, invoke, module, exports, call);
  } catch (exc) {
    channel.send({ started: false, error: errorFields(exc) });
    return undefined;
  }
  channel.send({ started: true });
  return ready;
}

/** `name(...args)` from `exports`: what it returns, a promise or not. */
function invoke(module: string, exports: Exports, { name, args }: Call) {
  const fn = exports[name];
  if (typeof fn !== "function") {
    throw new TypeError(`${module} exports no function ${name}`);
  }
  return fn(...args);
}

function coldly(cold: boolean): { cold?: true } {
  return cold ? { cold } : {};
}

function failed(exc: unknown): { error: ReturnType<typeof errorFields> } {
  return { error: errorFields(exc) };
}

/**
 * Posts the replies: at once (after the code that made them, a microtask),
 * unless a message went less than `COALESCE_MS` ago; then, with the others
 * of that turn of the event loop, once its timers and messages are done, by
 * a message to itself, which comes after them (a timer would come 1-3 ms
 * later). So a reply waits for no call's code but its own, and a hundred
 * timers that fire together make two messages, not a hundred. A reply that
 * cannot be cloned goes on its own, as the error that says why.
 */
class Outbox {
  #replies: Reply[] = [];
  #sentAt = -Infinity;
  readonly #channel: Channel;
  readonly #wake = new MessageChannel();

  constructor(channel: Channel) {
    this.#channel = channel;
    this.#wake.port2.onmessage = () => this.#flush();
    // Deno's own `unref`: the outbox never keeps a worker alive.
    (this.#wake.port2 as MessagePort & { unref(): void }).unref();
  }

  post(reply: Reply): void {
    if (this.#replies.push(reply) > 1) return;
    if (performance.now() - this.#sentAt > COALESCE_MS) {
      queueMicrotask(() => this.#flush());
    } else this.#wake.port1.postMessage(null);
  }

  #flush(): void {
    const replies = this.#replies;
    if (!replies.length) return;
    this.#replies = [];
    this.#sentAt = performance.now();
    try {
      this.#channel.send(replies);
    } catch {
      for (const reply of replies) this.#sendAlone(reply);
    }
  }

  #sendAlone(reply: Reply): void {
    try {
      this.#channel.send([reply]);
    } catch (exc) {
      this.#channel.send([{ id: reply.id, ms: reply.ms, ...failed(exc) }]);
    }
  }
}

/**
 * Watches the worker's event loop: stamps each turn, and finds the turns
 * that came `BLOCKED_MS` late or more for each call that ended meanwhile,
 * while this thread used the processor or slept in `Atomics.wait` for half
 * of that (a thread the machine did not run is not blocked), for reasons
 * other than the first parts of calls, which the pool times from their
 * replies. Such a stop comes from a call that awaited: the functions of the
 * calls riding then are told to the pool.
 */
class LoopWatch {
  /** The calls that await, by id: their functions' names. */
  readonly #riding = new Map<number, string>();
  /** The functions of the calls that rode since the last tick. */
  #rode = new Set<string>();
  /** The time first parts of calls took since the last tick. */
  #firstParts = 0;
  #last = performance.now();
  #cpu = threadCpuMs();
  /** The time spent in `Atomics.wait`, which blocks without the processor. */
  #waited = 0;
  /** The calls that ended since the last tick. */
  #ends = 0;

  constructor(channel: Channel) {
    const timer = setInterval(() => this.#tick(channel), TICK_MS);
    Deno.unrefTimer(timer); // a child exits when its pool goes
    const wait = Atomics.wait as (...args: unknown[]) => ReturnType<
      typeof Atomics.wait
    >;
    Atomics.wait = ((...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return wait(...args);
      } finally {
        this.#waited += performance.now() - t0;
      }
    }) as typeof Atomics.wait;
  }

  /** The milliseconds since `t0` that a call's first part took. */
  ran(t0: number): number {
    const ms = performance.now() - t0;
    this.#firstParts += ms;
    return ms;
  }

  rides({ id, name }: Call): void {
    this.#riding.set(id, name);
    this.#rode.add(name);
  }

  ended({ id }: Call): void {
    this.#riding.delete(id);
    this.#ends += 1;
  }

  #tick(channel: Channel): void {
    const now = this.check(channel, true);
    channel.beat(performance.timeOrigin + now, this.#riding.size > 0);
  }

  /**
   * Tells the pool of a stop since the last tick or check, and starts
   * anew: on each tick, and before a call's end is told, so that the pool
   * knows of a stop before it hears that the call that made it ended.
   *
   * @returns `performance.now()`.
   */
  check(channel: Channel, tick = false): number {
    const now = performance.now();
    // Many calls that end together stop the loop as long, each briefly.
    const stopped = (now - this.#last - TICK_MS - this.#firstParts) /
      (this.#ends + 1);
    // The processor time is asked for on each tick, and on a stop only: the
    // question costs tens of microseconds, where a call may take one.
    if (tick || stopped >= BLOCKED_MS) {
      const cpu = threadCpuMs();
      const used = cpu - this.#cpu + this.#waited;
      if (stopped >= BLOCKED_MS && used >= BLOCKED_MS / 2 && this.#rode.size) {
        channel.send({ strands: [...this.#rode] });
      }
      this.#cpu = cpu;
      this.#waited = 0;
    }
    this.#last = now;
    this.#ends = 0;
    this.#firstParts = 0;
    this.#rode = new Set(this.#riding.values());
    return now;
  }
}

/** The processor time this thread has used, in milliseconds (by the 10 ms). */
function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

/**
 * Prints a stray error with the call it came from, and makes an exit
 * called by a call throw into that call.
 */
function keepAccidentsToTheirCall(): void {
  addEventListener("error", (event) => {
    event.preventDefault();
    printStray((event as ErrorEvent).error, running.getStore());
  });
  addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    printStray(event.reason, running.getStore());
  });
  // A timer's callback runs in its call's context: name the call there.
  globalThis.setTimeout = guardTimer(globalThis.setTimeout);
  globalThis.setInterval = guardTimer(globalThis.setInterval);
  Deno.exit = exitCalled("Deno.exit");
  process.exit = exitCalled("process.exit");
  if ("close" in globalThis) globalThis.close = exitCalled("close");
}

/** `schedule` (`setTimeout`, `setInterval`), whose callbacks print what they throw. */
function guardTimer<T extends (...args: never[]) => unknown>(schedule: T): T {
  const plain = schedule as unknown as (...args: unknown[]) => unknown;
  return ((callback: unknown, ...rest: unknown[]) => {
    if (typeof callback !== "function") return plain(callback, ...rest);
    return plain(function (this: unknown, ...args: unknown[]) {
      try {
        return callback.apply(this, args);
      } catch (exc) {
        printStray(exc, running.getStore());
      }
    }, ...rest);
  }) as unknown as T;
}

function printStray(exc: unknown, call: Call | undefined): void {
  const where = call?.name ? `, in a call of ${call.name}()` : "";
  console.error(
    `Exception in a worker of the pool${where} (the worker goes on):`,
    exc,
  );
}

function exitCalled(what: string): (code?: number) => never {
  return (code) => {
    const name = running.getStore()?.name;
    const where = name ? `in a call of ${name}()` : "in a worker of the pool";
    throw new SystemExit(
      `${what}(${code ?? ""}) was called ${where}: it ends that call, ` +
        "not the worker",
      code,
    );
  };
}
