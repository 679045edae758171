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
  /** The name of a function that the worker's module exports. */
  name: string;
  /** Its arguments. */
  args: unknown[];
  /** Whether this is the pool's initializer, which answers only if it throws. */
  init?: boolean;
}

/** How a call ended in a worker, with the milliseconds it ran. */
export type Outcome = ({ value: unknown } | { error: ErrorFields }) & {
  ms: number;
  /** Set when the initializer threw: the worker runs nothing more. */
  init?: boolean;
};

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
  // A class field `name = "..."` is an own property, not the prototype's.
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
 * What a worker runs: it imports `module`, then runs the calls it is given
 * one at a time, in order, and sends each `Outcome`. Once the initializer
 * has thrown, it runs nothing more.
 *
 * @param module the URL of the module whose exported functions run.
 * @param send posts an outcome to the pool; throws if it cannot be cloned.
 * @returns the handler of each call that arrives.
 */
export function serveCalls(
  module: string,
  send: (outcome: Outcome) => void,
): (call: Call) => Promise<void> {
  const exports: Promise<Record<string, unknown>> = import(module);
  exports.catch(() => {}); // each call reports the error
  // A call may arrive while another runs: it waits, and runs after.
  const calls: Call[] = [];
  let busy = false;
  let failed = false;
  return async (call) => {
    calls.push(call);
    if (busy) return;
    busy = true;
    await exports.catch(() => {}); // the clock times calls, not the import
    while (calls.length && !failed) {
      const next = calls.shift()!;
      const start = performance.now();
      const outcome = await runCall(module, exports, next);
      const ms = performance.now() - start;
      if (next.init) {
        failed = "error" in outcome;
        if (failed) send({ ...outcome, ms, init: true });
        continue;
      }
      try {
        send({ ...outcome, ms });
      } catch (exc) { // a value that cannot be cloned
        send({ error: errorFields(exc), ms });
      }
    }
    busy = false;
  };
}

/** Runs `name(...args)` from `exports`: the value, or the error's fields. */
async function runCall(
  module: string,
  exports: Promise<Record<string, unknown>>,
  { name, args }: Call,
): Promise<{ value: unknown } | { error: ErrorFields }> {
  try {
    const fn = (await exports)[name];
    if (typeof fn !== "function") {
      throw new TypeError(`${module} exports no function ${name}`);
    }
    return { value: await fn(...args) };
  } catch (exc) {
    return { error: errorFields(exc) };
  }
}
