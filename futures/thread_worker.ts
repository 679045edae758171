/**
 * The body of every `ThreadPoolExecutor` Worker: it serves the calls of the
 * module named in its `workerData` (see `serveCalls`), posting back each
 * reply.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { serveCalls } from "./call.ts";

if (import.meta.main && parentPort) {
  const port = parentPort;
  const serve = serveCalls(workerData, (reply) => port.postMessage(reply));
  port.on("message", serve);
}
