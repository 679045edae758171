/**
 * What a Worker or a child process of a pool runs, kept apart from the rest
 * of `futures/` so that their start-up loads no more: a call by name, its
 * outcome, and the fields of an error, which cross where the error's class
 * cannot.
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

/**
 * The error's name, message, stack and own fields, which structured cloning
 * would drop; the class is found again by name on the other side.
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

/** A call, as a pool sends it to a Worker or a child process. */
export interface Call {
  /** The name of a function that the Worker's module exports. */
  name: string;
  /** Its arguments. */
  args: unknown[];
}

/**
 * Runs `name(...args)` from `exports`.
 *
 * @param module the module's URL, for the error of a missing function.
 * @param exports the promise of the module's exports.
 * @param call which function, with which arguments.
 * @returns the value, or the error's fields.
 */
export async function runCall(
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
