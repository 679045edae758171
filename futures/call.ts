/**
 * What crosses between a pool and its Workers or child processes, kept apart
 * from the rest of `futures/` so that their start-up loads no more: a call by
 * name, its `Outcome`, the loop that serves calls in a worker, and both
 * halves of the error codec: `errorFields` on the way out, `rebuildError` on
 * the way back, for the class does not cross, only its name.
 *
 * @module
 */

/** An error as it crosses to another thread or process: its class name, message, stack and own fields. */
export type ErrorFields = {
  name: string;
  message: string;
  stack?: string;
  cause?: ErrorFields;
  [field: string]: unknown;
};

/** A call, as a pool sends it to a Worker or a child process. */
export interface Call {
  /** Tells the call's replies apart from those of the others it runs beside. */
  id: number;
  /** The name of a function that the worker's module exports. */
  name: string;
  /** Its arguments. */
  args: unknown[];
  /**
   * Whether this is the first message to a worker, which runs the pool's
   * initializer (if `name` is not empty) and answers once it is ready.
   */
  init?: boolean;
}

/** How a call ended in a worker. */
export type Outcome = ({ value: unknown } | { error: ErrorFields }) & {
  id: number;
  /** Set on the answer to the first message: ready, or the initializer threw and the worker runs nothing more. */
  init?: boolean;
};

/**
 * What a worker tells its pool of a call: that it awaits, so the worker is
 * free to run another beside it; or how it ended.
 */
export type Reply = Outcome | { id: number; awaits: true };

/**
 * The error's name, message, stack and own fields, which structured cloning
 * would drop; `rebuildError` finds the class again by name.
 *
 * @param exc anything thrown.
 * @returns what can cross to another thread or process.
 */
export function errorFields(exc: unknown): ErrorFields {
  if (!(exc instanceof Error)) return { name: "Error", message: String(exc) };
  // Own fields (an HTTP status, say) can hold anything: keep what can cross.
  const fields = Object.entries(exc).filter(([_, value]) => canClone(value));
  return {
    ...Object.fromEntries(fields),
    name: exc.name,
    message: exc.message,
    stack: exc.stack,
    ...(exc.cause === undefined ? {} : { cause: errorFields(exc.cause) }),
  };
}

function canClone(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The error again, of the class that `classes` or the platform has under its
 * name, with its fields; an `Error` of that name otherwise.
 *
 * A class is found by its `name`, which is why every error class of this
 * repository sets `name` on its prototype, as the platform's errors do
 * (`static { this.prototype.name = "..." }`): stack traces show it, and an
 * error rebuilt without its constructor has it.
 *
 * @param fields what `errorFields` kept.
 * @param classes error classes by name: the job module's exports, and more.
 * @returns an error that `instanceof` recognises.
 */
export function rebuildError(
  fields: ErrorFields,
  classes: Record<string, unknown>,
): Error {
  const { name, message, stack, cause, ...own } = fields;
  const error = newError(name, message, classes);
  // A class that sets `name` in its constructor or as a field did not run.
  if (error.name !== name) Object.assign(error, { name });
  Object.defineProperty(error, "stack", { value: stack, configurable: true });
  if (cause) {
    Object.defineProperty(error, "cause", {
      value: rebuildError(cause, classes),
      configurable: true,
    });
  }
  return Object.assign(error, own);
}

/** An empty error of the class named `name`: the caller's, the platform's, or a `DOMException`. */
function newError(
  name: string,
  message: string,
  classes: Record<string, unknown>,
): Error {
  const cls = [
    classes[name],
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

/**
 * What a worker runs: it imports `module` and runs the initializer, then
 * starts each call as it arrives. A call whose function returns a promise
 * is reported as awaiting at once, and the worker takes the next call while
 * it waits, as a thread waiting on I/O lets others run; a call that blocks
 * keeps the worker until it returns. Once the initializer has thrown, the
 * worker runs nothing more.
 *
 * @param module the URL of the module whose exported functions run.
 * @param send posts a reply to the pool; throws if it cannot be cloned.
 * @returns the handler of each call that arrives.
 */
export function serveCalls(
  module: string,
  send: (reply: Reply) => void,
): (call: Call) => void {
  let ready: Promise<Exports | undefined> = import(module);
  ready.catch(() => {}); // each call reports it
  return (call) => {
    if (call.init) {
      ready = initialize(module, ready, call, send);
      ready.catch(() => {});
    } else {
      // `then` keeps the order of arrival while the import runs.
      ready.then(
        (exports) => exports && start(module, exports, call, send),
        (exc) => reply(send, { id: call.id, error: errorFields(exc) }),
      );
    }
  };
}

type Exports = Record<string, unknown>;

/**
 * Waits for the import, runs the initializer if any, then says the worker
 * is ready: the exports, or nothing once the initializer threw (or could
 * not run, its module failing to load).
 */
async function initialize(
  module: string,
  ready: Promise<Exports | undefined>,
  call: Call,
  send: (reply: Reply) => void,
): Promise<Exports | undefined> {
  try {
    const exports = await ready.catch((exc) => {
      if (call.name) throw exc; // else each call reports it
    });
    if (exports && call.name) await invoke(module, exports, call);
  } catch (exc) {
    send({ id: call.id, init: true, error: errorFields(exc) });
    return undefined;
  }
  send({ id: call.id, init: true, value: undefined });
  return ready;
}

/** Starts a call: it ends at once, or it awaits and replies when it settles. */
function start(
  module: string,
  exports: Exports,
  call: Call,
  send: (reply: Reply) => void,
): void {
  const { id } = call;
  let result: unknown;
  try {
    result = invoke(module, exports, call);
  } catch (exc) {
    return reply(send, { id, error: errorFields(exc) });
  }
  if (typeof (result as PromiseLike<unknown>)?.then !== "function") {
    return reply(send, { id, value: result });
  }
  send({ id, awaits: true });
  Promise.resolve(result).then(
    (value) => reply(send, { id, value }),
    (exc) => reply(send, { id, error: errorFields(exc) }),
  );
}

/** `name(...args)` from `exports`: what it returns, a promise or not. */
function invoke(module: string, exports: Exports, { name, args }: Call) {
  const fn = exports[name];
  if (typeof fn !== "function") {
    throw new TypeError(`${module} exports no function ${name}`);
  }
  return fn(...args);
}

/** Sends `outcome`, or the error of a value that cannot be cloned. */
function reply(send: (reply: Reply) => void, outcome: Outcome): void {
  try {
    send(outcome);
  } catch (exc) {
    send({ id: outcome.id, error: errorFields(exc) });
  }
}
