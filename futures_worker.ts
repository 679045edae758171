/**
 * The body of every `ThreadPoolExecutor` Worker: it imports the module that
 * the Worker is named after, then runs one of its exported functions per
 * message and posts back the value, or the error with its name and fields.
 *
 * @module
 */

/** A task, as `ThreadPoolExecutor` posts it. */
export interface Call {
  name: string;
  args: unknown[];
}

/** An error as it crosses to the main thread: its name, message and own fields. */
export type ErrorFields =
  & { name: string; message: string }
  & Record<
    string,
    unknown
  >;

/** What the Worker posts back for one task, with the milliseconds it ran. */
export type Reply = ({ value: unknown } | { error: ErrorFields }) & {
  ms: number;
};

/** The error's name, message and own fields, which structured cloning would drop. */
export function errorFields(exc: unknown): ErrorFields {
  if (!(exc instanceof Error)) return { name: "Error", message: String(exc) };
  // Own fields (an HTTP status, say) can hold anything: keep what can cross.
  const fields = Object.entries(exc).filter(([_, value]) => canClone(value));
  return {
    ...Object.fromEntries(fields),
    name: exc.name,
    message: exc.message,
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

const worker = self as unknown as Worker & { name: string };
const loaded: Promise<Record<string, unknown>> = import(worker.name);

worker.onmessage = async ({ data: { name, args } }: MessageEvent<Call>) => {
  await loaded.catch(() => {}); // its error is thrown below, after the clock starts
  const start = performance.now();
  let reply: Reply;
  try {
    const fn = (await loaded)[name];
    if (typeof fn !== "function") {
      throw new Error(`${worker.name} exports no function ${name}`);
    }
    const value = await fn(...args);
    reply = { value, ms: performance.now() - start };
  } catch (exc) {
    reply = { error: errorFields(exc), ms: performance.now() - start };
  }
  try {
    worker.postMessage(reply);
  } catch (exc) { // a value that cannot be cloned
    worker.postMessage({ error: errorFields(exc), ms: reply.ms });
  }
};
