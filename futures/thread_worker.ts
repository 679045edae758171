/**
 * The body of every `ThreadPoolExecutor` Worker: it imports the module that
 * the Worker is named after, then runs one of its exported functions per
 * message, one at a time, and posts back the value, or the error with its
 * class name and fields.
 *
 * @module
 */
import { type Call, errorFields, runCall } from "./call.ts";

/** How one call ended, with the milliseconds it ran. */
export type Outcome = Awaited<ReturnType<typeof runCall>> & { ms: number };

/** Starts serving calls in this Worker: what the pool's Workers run. */
function serve(): void {
  const worker = self as unknown as Worker & { name: string };
  const exports: Promise<Record<string, unknown>> = import(worker.name);
  exports.catch(() => {}); // each call reports the error
  // A call may arrive while another runs: it is held, and runs after.
  const held: Call[] = [];
  let busy = false;
  worker.onmessage = async ({ data }: MessageEvent<Call>) => {
    held.push(data);
    if (busy) return;
    busy = true;
    await exports.catch(() => {}); // the clock times calls, not the import
    while (held.length) {
      const start = performance.now();
      const outcome = await runCall(worker.name, exports, held.shift()!);
      reply(worker, { ...outcome, ms: performance.now() - start });
    }
    busy = false;
  };
}

/** Posts `outcome`, or the error of a value that cannot be cloned. */
function reply(worker: Worker, outcome: Outcome): void {
  try {
    worker.postMessage(outcome);
  } catch (exc) {
    worker.postMessage({ error: errorFields(exc), ms: outcome.ms });
  }
}

if (import.meta.main) serve();
