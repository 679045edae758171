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

/** What the pool posts: a task, or "cancel" to drop the tasks held but not started. */
export type Message = Call | "cancel";

/** An error as it crosses to the main thread: its name, message and own fields. */
export type ErrorFields =
  & { name: string; message: string }
  & Record<
    string,
    unknown
  >;

/** How one task ended, with the milliseconds it ran. */
export type Outcome = ({ value: unknown } | { error: ErrorFields }) & {
  ms: number;
};

/** What the Worker posts back: a task's outcome, or how many held tasks "cancel" dropped. */
export type Reply = Outcome | { cancelled: number };

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

// A task may arrive while another runs: it is held, and runs after.
const held: Call[] = [];
let busy = false;

worker.onmessage = ({ data }: MessageEvent<Message>) => {
  if (data === "cancel") {
    worker.postMessage({ cancelled: held.splice(0).length });
    return;
  }
  held.push(data);
  if (!busy) void runHeld();
};

async function runHeld(): Promise<void> {
  busy = true;
  while (held.length) await run(held.shift()!);
  busy = false;
}

async function run({ name, args }: Call): Promise<void> {
  await loaded.catch(() => {}); // its error is thrown below, after the clock starts
  const start = performance.now();
  let reply: Outcome;
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
}
