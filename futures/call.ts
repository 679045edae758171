/**
 * What crosses between a pool and its Workers or child processes, kept apart
 * from the rest of `futures/` so that their start-up loads no more: the
 * messages each way, and both halves of the error codec: `errorFields` on
 * the way out, `rebuildError` on the way back, for the class does not cross,
 * only its name.
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
   * Sent ahead: the worker starts it in the place of one of its calls that
   * ends (the first such call that ends, in the order they were sent), or
   * when the pool says `go`.
   */
  ahead?: true;
}

/**
 * What a pool sends a worker: first the initializer to run (`name` empty
 * for none), then calls to start in order, several to a message, or to
 * start now among those sent ahead (those the worker has not started yet).
 */
export type ToWorker =
  | { init: { name: string; args: unknown[] } }
  | Call[]
  | { go: number[] };

/**
 * How a call went, as its worker tells it: its first part (up to its first
 * `await`, or all of it) took `ms`, `cold` if it was the first call of its
 * function in that worker (which pays for loading and compiling), and then
 * it awaits, or it ended with a value or an error; a call that awaited
 * tells how it ended later, without `ms`. A call that ended names the call
 * sent ahead that the worker started in its place, if any: `next`.
 */
export type Reply =
  & { id: number; ms?: number; cold?: true; next?: number }
  & ({ awaits: true } | { value: unknown } | { error: ErrorFields });

/**
 * What a worker sends its pool: replies, several to a message; whether it
 * is ready (its module loaded, the initializer run) or could not be; the
 * functions whose calls, after awaiting, stopped its event loop (see
 * `BLOCKED_MS`); or, from a child process, that its loop turned at `beat`
 * (`performance.timeOrigin + performance.now()` there).
 */
export type FromWorker =
  | Reply[]
  | { started: true }
  | { started: false; error: ErrorFields }
  | { strands: string[] }
  | { beat: number };

/**
 * A worker whose event loop has not turned for this long is blocked: it
 * gets no more calls until it turns again, and the calls it carried while
 * they awaited strand those riding beside them.
 */
export const BLOCKED_MS = 50;

/**
 * `Deno.exit()`, `process.exit()` or `close()` called in a call: it fails
 * that call, as `sys.exit()` in a pool's thread raises `SystemExit` into
 * its own future, and the worker goes on with the others.
 */
export class SystemExit extends Error {
  static {
    this.prototype.name = "SystemExit";
  }
  /** The status the call asked to exit with. */
  readonly code?: number;

  /**
   * The error of a call that asked to exit.
   *
   * @param message what was called, and in which call.
   * @param code the status asked for.
   */
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

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
