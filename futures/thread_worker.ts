/**
 * The body of every `ThreadPoolExecutor` Worker: it serves the calls of the
 * module that the Worker is named after (see `serveCalls`), posting back
 * each outcome.
 *
 * @module
 */
import { serveCalls } from "./call.ts";

if (import.meta.main) {
  const worker = self as unknown as Worker & { name: string };
  const serve = serveCalls(
    worker.name,
    (outcome) => worker.postMessage(outcome),
  );
  worker.onmessage = ({ data }) => void serve(data);
}
